// A full disk or a failing write in every writer of io/ (and the MLLOG writer): a DataError
// naming the file, no temporary file left behind, an earlier file of that name untouched.
// The failures are injected (SEGBENCH_FAULT_INJECT, fault_injection.hpp) or real (/dev/full).
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/fault_injection.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/log/mllog.hpp"
#include "support/scratch_dir.hpp"

using Catch::Matchers::Contains;
using segbench::DataError;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;
using segbench::test::write_bytes;
namespace fs = std::filesystem;
namespace io = segbench::io;

namespace {

/// Sets SEGBENCH_FAULT_INJECT for one scope.
class InjectedFaults {
 public:
  explicit InjectedFaults(const std::string& spec) {
    ::setenv("SEGBENCH_FAULT_INJECT", spec.c_str(), 1);
  }
  ~InjectedFaults() { ::unsetenv("SEGBENCH_FAULT_INJECT"); }
  InjectedFaults(const InjectedFaults&) = delete;
  InjectedFaults& operator=(const InjectedFaults&) = delete;
};

/// The names in `dir`, sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// Runs `write`, which must fail with a DataError naming `path` and saying why; afterwards the
/// directory holds exactly `expected_names` and `path` holds `previous` (or is absent).
template <typename Write>
void expect_clean_failure(Write write, const fs::path& path, const std::string& reason,
                          const std::vector<std::string>& expected_names,
                          const std::string* previous) {
  try {
    write();
    FAIL("the write did not fail");
  } catch (const DataError& e) {
    CHECK_THAT(e.what(), Contains(path.string()) && Contains(reason));
  }
  CHECK(names_in(path.parent_path()) == expected_names);
  if (previous != nullptr) {
    CHECK(read_bytes(path) == *previous);
  } else {
    CHECK_FALSE(fs::exists(path));
  }
}

std::vector<float> ramp(std::size_t n) {
  std::vector<float> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<float>(i % 97);
  return values;
}

/// Values gzip cannot shrink much, so a compressed volume is as large as a budget expects.
std::vector<float> noise(std::size_t n) {
  std::vector<float> values(n);
  std::uint32_t state = 12345;
  for (auto& v : values) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(state >> 8);
  }
  return values;
}

}  // namespace

TEST_CASE("fault injection: write_fail matches a path, disk_budget counts bytes", "[io]") {
  CHECK(io::injected_write_allowance("/a/b.npy", 10) == 10);
  {
    InjectedFaults faults("write_fail:b.npy");
    CHECK(io::injected_write_allowance("/a/b.npy", 10) == 0);
    CHECK(io::injected_write_allowance("/a/c.npy", 10) == 10);
  }
  {
    InjectedFaults faults("checkpoint_write_fail:3,disk_budget:25");
    CHECK(io::injected_write_allowance("/a/c.npy", 10) == 10);
    CHECK(io::injected_write_allowance("/a/d.npy", 10) == 10);
    CHECK(io::injected_write_allowance("/a/d.npy", 10) == 5);
    CHECK(io::injected_write_allowance("/a/e.npy", 10) == 0);
  }
  {
    // A new setting starts a new budget.
    InjectedFaults faults("disk_budget:12");
    CHECK(io::injected_write_allowance("/a/c.npy", 10) == 10);
  }
}

TEST_CASE("write_text_atomically: a failed write leaves the earlier file and no temporary",
          "[io]") {
  ScratchDir dir("write-fail-text");
  const fs::path path = dir / "segbench_manifest.json";
  const std::string previous = "{\"old\": true}\n";
  write_bytes(path, previous);
  {
    InjectedFaults faults("write_fail:segbench_manifest.json");
    expect_clean_failure([&] { io::write_text_atomically(path, "{\"new\": true}\n"); }, path,
                         "No space left on device", {"segbench_manifest.json"}, &previous);
  }
  {
    InjectedFaults faults("disk_budget:5");
    expect_clean_failure([&] { io::write_text_atomically(path, "{\"new\": true}\n"); }, path,
                         "No space left on device", {"segbench_manifest.json"}, &previous);
  }
  // Without a fault the same call replaces it.
  io::write_text_atomically(path, "{\"new\": true}\n");
  CHECK(read_bytes(path) == "{\"new\": true}\n");
}

TEST_CASE("write_text_atomically: an unwritable directory is named", "[io]") {
  ScratchDir dir("write-fail-dir");
  const fs::path path = dir / "missing" / "stats.json";
  CHECK_THROWS_WITH(io::write_text_atomically(path, "x"),
                    Contains(path.string()) && Contains("No such file or directory"));
}

TEST_CASE("write_npy: a disk that fills halfway leaves the earlier file and no temporary", "[io]") {
  ScratchDir dir("write-fail-npy");
  const fs::path path = dir / "case_00000_x.npy";
  const std::vector<float> old_values = ramp(64);
  const std::array<std::size_t, 1> old_shape{64};
  io::write_npy(path, io::NpyDtype::float32, old_shape, old_values.data());
  const std::string previous = read_bytes(path);
  const std::vector<float> values = ramp(4096);
  const std::array<std::size_t, 2> shape{64, 64};
  for (const std::string spec : {"disk_budget:100", "disk_budget:8000", "write_fail:_x.npy"}) {
    INFO(spec);
    InjectedFaults faults(spec);
    expect_clean_failure([&] { io::write_npy(path, io::NpyDtype::float32, shape, values.data()); },
                         path, "No space left on device", {"case_00000_x.npy"}, &previous);
  }
  // A new file that fails leaves nothing at all.
  const fs::path fresh = dir / "case_00001_x.npy";
  InjectedFaults faults("disk_budget:1000");
  expect_clean_failure([&] { io::write_npy(fresh, io::NpyDtype::float32, shape, values.data()); },
                       fresh, "No space left on device", {"case_00000_x.npy"}, nullptr);
}

TEST_CASE("copy_file_atomically: a failed copy leaves no partial copy", "[io]") {
  ScratchDir dir("write-fail-copy");
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "out");
  const std::string content(3 << 20, 'c');
  write_bytes(dir / "in" / "data-0.h5", content);
  const fs::path destination = dir / "out" / "data-0.h5";
  {
    InjectedFaults faults("disk_budget:1500000");
    expect_clean_failure([&] { io::copy_file_atomically(dir / "in" / "data-0.h5", destination); },
                         destination, "No space left on device", {}, nullptr);
  }
  io::copy_file_atomically(dir / "in" / "data-0.h5", destination);
  CHECK(read_bytes(destination) == content);
}

TEST_CASE("H5Writer: a full disk at commit leaves the earlier file and no temporary", "[io]") {
  ScratchDir dir("write-fail-h5");
  const fs::path path = dir / "stats.h5";
  const std::vector<double> old_values{1.0, 2.0, 3.0};
  const std::array<std::size_t, 1> old_shape{3};
  {
    io::H5Writer writer(path);
    writer.write("climate/minval", old_shape, std::span<const double>(old_values));
    writer.commit();
  }
  const std::string previous = read_bytes(path);
  const std::vector<double> values(20000, 4.5);
  const std::array<std::size_t, 1> shape{20000};
  for (const std::string spec : {"disk_budget:1000", "disk_budget:100000", "write_fail:stats.h5"}) {
    INFO(spec);
    InjectedFaults faults(spec);
    expect_clean_failure(
        [&] {
          io::H5Writer writer(path);
          writer.write("climate/minval", shape, std::span<const double>(values));
          writer.commit();
        },
        path, "No space left on device", {"stats.h5"}, &previous);
  }
  // The earlier file still reads.
  io::H5Reader reader(path);
  CHECK(reader.read_float64("climate/minval").values == old_values);
}

TEST_CASE("H5Writer: the same content gives the same bytes (no object timestamps)", "[io]") {
  ScratchDir dir("h5-reproducible");
  const std::vector<double> values{0.25, -1.5, 3.0, 8.0};
  const std::array<std::size_t, 2> shape{2, 2};
  const auto write = [&](const fs::path& path) {
    io::H5Writer writer(path);
    writer.write("climate/minval", shape, std::span<const double>(values));
    writer.write("climate/maxval", shape, std::span<const double>(values));
    writer.commit();
  };
  write(dir / "a.h5");
  // HDF5's timestamps have a resolution of one second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write(dir / "b.h5");
  const std::string a = read_bytes(dir / "a.h5");
  CHECK(a.size() > 0);
  CHECK(a == read_bytes(dir / "b.h5"));
}

TEST_CASE("write_nifti: a volume cut short is refused and the earlier file kept", "[io]") {
  ScratchDir dir("write-fail-nifti");
  const std::vector<std::size_t> shape{8, 16, 16};
  const std::array<double, 3> spacing{1.0, 0.8, 0.8};
  for (const std::string name : {"imaging.nii.gz", "imaging.nii"}) {
    INFO(name);
    const fs::path path = dir / name;
    io::write_nifti(path, shape, spacing, ramp(8 * 16 * 16), io::NiftiStorage::float32);
    const std::string previous = read_bytes(path);
    for (const std::string spec : {"disk_budget:200", "disk_budget:600", "write_fail:imaging"}) {
      INFO(spec);
      InjectedFaults faults(spec);
      expect_clean_failure(
          [&] {
            io::write_nifti(path, shape, spacing, noise(8 * 16 * 16), io::NiftiStorage::float32);
          },
          path, "incomplete volume", names_in(dir.path()), &previous);
    }
    CHECK(io::read_nifti(path).data == ramp(8 * 16 * 16));
  }
}

TEST_CASE("MLLOG: a write to a full device stops with the file named", "[log]") {
  segbench::mllog::Logger log(fs::path("/dev/full"));
  CHECK_THROWS_WITH(log.event("cache_clear", true),
                    Contains("/dev/full") && Contains("No space left on device"));
  // Every later event fails too: no log that silently lost a line.
  CHECK_THROWS_WITH(log.event("init_start"), Contains("/dev/full"));
}

TEST_CASE("MLLOG: a failed append leaves every earlier line whole and nothing torn", "[log]") {
  ScratchDir dir("write-fail-mllog");
  const fs::path path = dir / "unet3d.log";
  segbench::mllog::Logger log(path);
  log.event("cache_clear", true);
  log.start("init_start");
  const std::string before = read_bytes(path);
  REQUIRE(std::count(before.begin(), before.end(), '\n') == 2);
  for (const std::string spec : {"disk_budget:20", "write_fail:unet3d.log"}) {
    INFO(spec);
    segbench::mllog::Logger again(path);
    InjectedFaults faults(spec);
    CHECK_THROWS_WITH(again.event("submission_org", "segbench"),
                      Contains(path.string()) && Contains("No space left on device") &&
                          Contains("submission_org"));
    CHECK(read_bytes(path) == before);
  }
}
