// What checked, fsynced writes cost (the disk-full work): each writer against the unchecked,
// unsynced way it wrote before, in the same run and the same directory.
//   write_npy: CheckedFile + fsync + rename + directory fsync  vs  ofstream + rename
//   MLLOG line: write + fsync per line                         vs  ofstream << line, flush
//   H5Writer:   in-memory file, image through AtomicFile       vs  HDF5 sec2 file + rename
// Usage: write_sync_bench [DIR] [CALLS]   (DIR defaults to the system temp directory; CALLS per
// round, 10)
#include <fmt/core.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "segbench/io/atomic_file.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/log/mllog.hpp"

namespace fs = std::filesystem;
namespace io = segbench::io;

namespace {

double seconds_per_call(int calls, const std::function<void(int)>& call) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) call(i);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls;
}

// The disk is shared and its latency drifts: the two ways alternate over 7 rounds (the order
// flipped each round) and each reports its median round.
std::pair<double, double> compare(int calls, const std::function<void(int)>& checked,
                                  const std::function<void(int)>& before) {
  std::vector<double> a;
  std::vector<double> b;
  for (int round = 0; round < 7; ++round) {
    if (round % 2 == 0) {
      a.push_back(seconds_per_call(calls, checked));
      b.push_back(seconds_per_call(calls, before));
    } else {
      b.push_back(seconds_per_call(calls, before));
      a.push_back(seconds_per_call(calls, checked));
    }
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return {a[3], b[3]};
}

void report(const std::string& what, std::pair<double, double> times) {
  const auto [checked, baseline] = times;
  fmt::print("{:<34} {:>10.3f} ms {:>10.3f} ms {:>8.2f}x\n", what, checked * 1e3, baseline * 1e3,
             checked / baseline);
}

// The old write_npy's I/O: an ofstream to a temporary sibling, renamed.
void unchecked_write(const fs::path& path, const std::vector<float>& values) {
  const fs::path temp = io::temporary_sibling(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write("\x93NUMPY\x01\x00", 8);
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(float)));
  }
  fs::rename(temp, path);
}

// The old H5Writer: HDF5's sec2 driver on a temporary sibling, renamed.
void sec2_h5(const fs::path& path, const std::vector<double>& values) {
  const fs::path temp = io::temporary_sibling(path, ".h5");
  const hid_t file = H5Fcreate(temp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t dims[1] = {values.size()};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t data =
      H5Dcreate2(file, "data", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(data);
  H5Sclose(space);
  H5Fclose(file);
  fs::rename(temp, path);
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root = (argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path()) /
                        fmt::format("segbench-write-sync-{}", ::getpid());
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 10;
  fs::create_directories(root);
  fmt::print("directory {} ({} calls a round, median of 7 rounds)\n", root.string(), repeats);
  fmt::print("{:<34} {:>13} {:>13} {:>9}\n", "per call", "checked", "before", "ratio");

  for (const std::size_t bytes : {std::size_t{64} << 10, std::size_t{4} << 20}) {
    const std::vector<float> values(bytes / sizeof(float), 1.5f);
    const std::array<std::size_t, 1> shape{values.size()};
    report(fmt::format("write_npy {} KiB", bytes >> 10),
           compare(
               repeats,
               [&](int i) {
                 io::write_npy(root / fmt::format("c{}.npy", i % 4), io::NpyDtype::float32, shape,
                               values.data());
               },
               [&](int i) { unchecked_write(root / fmt::format("u{}.npy", i % 4), values); }));
  }

  {
    segbench::mllog::Logger log(root / "checked.log");
    std::ofstream plain(root / "plain.log", std::ios::app);
    report("MLLOG line", compare(
                             repeats * 10, [&](int i) { log.event("train_loss", 0.25 + i); },
                             [&](int i) {
                               plain << segbench::mllog::format_line(
                                            segbench::mllog::EventType::point_in_time, "train_loss",
                                            0.25 + i, nlohmann::json::object(), 0,
                                            std::source_location::current())
                                     << '\n';
                               plain.flush();
                             }));
  }

  {
    const std::vector<double> values(std::size_t{1} << 19, 2.5);  // 4 MiB
    const std::array<std::size_t, 1> shape{values.size()};
    report("H5Writer 4 MiB",
           compare(
               repeats,
               [&](int i) {
                 io::H5Writer writer(root / fmt::format("c{}.h5", i % 4));
                 writer.write("data", shape, std::span<const double>(values));
                 writer.commit();
               },
               [&](int i) { sec2_h5(root / fmt::format("u{}.h5", i % 4), values); }));
  }
  fs::remove_all(root);
  return 0;
}
