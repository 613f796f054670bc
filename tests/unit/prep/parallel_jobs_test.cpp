// --jobs: every tool writes the same bits with several jobs as with one, and NaN/Inf input is an
// error naming the file and the field.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/prep/brats_preprocess.hpp"
#include "segbench/prep/brats_synthetic.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_split.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "segbench/prep/checksum_manifest.hpp"
#include "segbench/prep/parallel_files.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench::prep;
using segbench::DataError;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;
namespace fs = std::filesystem;
namespace io = segbench::io;

namespace {

/// Every regular file under `root` (relative path → bytes).
std::map<std::string, std::string> tree_bytes(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file())
      out[fs::relative(entry.path(), root).string()] = read_bytes(entry.path());
  }
  return out;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

Cam5SynthOptions small_cam5(int train, int validation) {
  Cam5SynthOptions o;
  o.height = 24;
  o.width = 36;
  o.event_scale = 4.0;
  o.train_samples = train;
  o.validation_samples = validation;
  return o;
}

void write_sample(const fs::path& path, std::size_t channels, const std::vector<float>& values) {
  io::H5Writer writer(path);
  const std::array<std::size_t, 3> shape{2, values.size() / channels / 2, channels};
  const std::array<std::size_t, 2> label_shape{2, values.size() / channels / 2};
  const std::vector<std::int32_t> labels(label_shape[0] * label_shape[1], 0);
  writer.write("climate/data", shape, std::span<const float>(values));
  writer.write("climate/labels_0", label_shape, std::span<const std::int32_t>(labels));
  writer.commit();
}

}  // namespace

TEST_CASE("for_each_index: every index once; the lowest failing index's error", "[prep]") {
  std::vector<std::atomic<int>> seen(50);
  for_each_index(seen.size(), 4, [&](std::size_t i) { ++seen[i]; });
  for (const auto& s : seen) CHECK(s.load() == 1);

  for (int jobs : {1, 3}) {
    INFO("jobs " << jobs);
    REQUIRE_THROWS_WITH(for_each_index(40, jobs,
                                       [](std::size_t i) {
                                         if (i == 7 || i == 9 || i == 30)
                                           throw std::runtime_error("item " + std::to_string(i));
                                       }),
                        "item 7");
  }
  CHECK(resolve_jobs(0) >= 1);
  CHECK(resolve_jobs(5) == 5);
  CHECK_THROWS_AS(resolve_jobs(-1), segbench::ConfigError);
  CHECK(cap_jobs_by_memory(4, 0) == 4);
  CHECK(cap_jobs_by_memory(4, std::uint64_t{1} << 62) == 1);  // nothing fits: one job
}

TEST_CASE("progress meter: counts, rates and an ETA on every line", "[prep]") {
  std::ostringstream out;
  ProgressMeter meter(&out, "tool", 4, 1);
  meter.finished("a.h5", 2'000'000, " -> a.npy");
  CHECK(meter.done() == 2);
  const std::string line = out.str();
  CHECK(line.find("[2/4] a.h5 -> a.npy (") == 0);
  CHECK(meter.summary().find("tool: 1 files in ") == 0);
  CHECK(line.find("files/s") != std::string::npos);
  CHECK(line.find("MB/s") != std::string::npos);
  CHECK(line.find("ETA ") != std::string::npos);
}

TEST_CASE("cam5-stats: several jobs give the same bits as one", "[prep]") {
  ScratchDir dir("jobs-stats");
  write_cam5_synthetic(dir.path(), small_cam5(7, 0));
  const Cam5Stats one = compute_cam5_stats(dir / "train", nullptr, 1);
  const Cam5Stats three = compute_cam5_stats(dir / "train", nullptr, 3);
  CHECK(one.count == 7);
  CHECK(three.count == 7);
  CHECK(same_bits(one.mean, three.mean));
  CHECK(same_bits(one.sqmean, three.sqmean));
  CHECK(same_bits(one.minval, three.minval));
  CHECK(same_bits(one.maxval, three.maxval));
  for (double m : one.mean) CHECK(std::isfinite(m));

  // The per-file shares survive packing (the MPI form) bit for bit.
  const auto files = io::list_h5_files(dir / "train");
  const Cam5FileStats share = cam5_file_stats(files[0]);
  const Cam5FileStats back = Cam5FileStats::unpack(share.pack(), share.sum.size());
  CHECK(back.pixels == share.pixels);
  CHECK(same_bits(back.sqsum, share.sqsum));
  CHECK(same_bits(back.maxval, share.maxval));
}

TEST_CASE("cam5-convert and cam5-split: several jobs write the same files as one", "[prep]") {
  ScratchDir dir("jobs-convert");
  write_cam5_synthetic(dir / "in", small_cam5(5, 3));
  write_cam5_stats(dir / "in/stats.h5", compute_cam5_stats(dir / "in/train"));
  convert_cam5_directory(dir / "in", dir / "one", nullptr, 1);
  convert_cam5_directory(dir / "in", dir / "three", nullptr, 3);
  const auto one = tree_bytes(dir / "one");
  CHECK(one.size() == 2 * 8 + 1);
  CHECK(one == tree_bytes(dir / "three"));

  Cam5SynthOptions flat = small_cam5(10, 0);
  flat.flat = true;
  write_cam5_synthetic(dir / "flat", flat);
  Cam5SplitOptions copy;
  copy.copy = true;
  const Cam5Split a = split_cam5_directory(dir / "flat/all", dir / "s1", copy, nullptr, 1);
  const Cam5Split b = split_cam5_directory(dir / "flat/all", dir / "s3", copy, nullptr, 3);
  CHECK(a.train == b.train);
  CHECK(a.test == b.test);
  const auto s1 = tree_bytes(dir / "s1");
  CHECK(s1.size() == 10);
  CHECK(s1 == tree_bytes(dir / "s3"));
}

TEST_CASE("brats-preprocess: several jobs write the same files as one", "[prep]") {
  ScratchDir dir("jobs-brats");
  BratsSynthOptions synth;
  synth.cases = 3;
  synth.shape = {28, 30, 24};
  const fs::path task = write_brats_synthetic(dir.path(), synth);
  BratsPreprocessOptions options;
  options.patch_size = {16, 16};
  std::ostringstream progress;
  const auto r1 = preprocess_brats_dir(task, dir / "one", options, progress, 1);
  const auto r3 = preprocess_brats_dir(task, dir / "three", options, progress, 3);
  CHECK(r1.written_files == r3.written_files);
  const auto one = tree_bytes(dir / "one");
  CHECK(one.size() == 3 * 2 + 2);  // the npy pairs, config.json and the settings
  CHECK(one == tree_bytes(dir / "three"));
}

TEST_CASE("checksum manifest and verification: the same with several jobs", "[prep]") {
  ScratchDir dir("jobs-verify");
  std::vector<std::string> names;
  for (int k = 0; k < 9; ++k) {
    names.push_back("case_0000" + std::to_string(k) + "_x.npy");
    segbench::test::write_bytes(dir / names.back(), std::string(100 + k, static_cast<char>(k)));
  }
  write_checksum_manifest(dir.path(), names, dir / "m1.json", true, 1);
  write_checksum_manifest(dir.path(), names, dir / "m3.json", true, 3);
  CHECK(read_bytes(dir / "m1.json") == read_bytes(dir / "m3.json"));
  ChecksumTable table = read_checksum_table(dir / "m1.json");
  fs::remove(dir / names[2]);
  segbench::test::write_bytes(dir / names[5], "changed");
  table["case_00042_y.npy"] = "0";
  const VerifyReport one = verify_checksums(dir.path(), table, "t", dir / "m1.json", 1);
  const VerifyReport three = verify_checksums(dir.path(), table, "t", dir / "m1.json", 3);
  CHECK(one.problems.size() == 4);  // missing, mismatch, missing, unexpected m3.json
  CHECK(one.problems == three.problems);
}

TEST_CASE("cam5-stats: NaN or Inf is an error naming the file and the field", "[prep]") {
  ScratchDir dir("nan-stats");
  fs::create_directories(dir / "train");
  std::vector<float> values(2 * 3 * 3, 1.0f);
  write_sample(dir / "train/data-a.h5", 3, values);
  values[3 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();  // pixel (1, 1), channel 2
  write_sample(dir / "train/data-b.h5", 3, values);
  for (int jobs : {1, 2}) {
    INFO("jobs " << jobs);
    try {
      compute_cam5_stats(dir / "train", nullptr, jobs);
      FAIL("expected a DataError");
    } catch (const DataError& e) {
      const std::string what = e.what();
      CHECK(what.find("data-b.h5: dataset climate/data: field channel 2 holds 1 non-finite") !=
            std::string::npos);
      CHECK(what.find("row 1, column 1") != std::string::npos);
    }
  }
  // With the 16 CAM5 channels the field is named.
  std::vector<float> sixteen(2 * 2 * 16, 0.5f);
  sixteen[7] = std::numeric_limits<float>::infinity();
  write_sample(dir / "inf.h5", 16, sixteen);
  REQUIRE_THROWS_WITH(cam5_file_stats(dir / "inf.h5"),
                      Catch::Contains("field PSL (channel 7) holds 1 non-finite value(s) (first: "
                                      "inf at row 0, column 0)"));
}

TEST_CASE("brats preprocessing: a NaN voxel is an error naming the image file", "[prep]") {
  ScratchDir dir("nan-brats");
  BratsSynthOptions synth;
  synth.cases = 1;
  synth.shape = {24, 24, 24};
  const fs::path task = write_brats_synthetic(dir.path(), synth);
  const fs::path image_path = task / "imagesTr/BRATS_001.nii.gz";
  io::NiftiVolume image = io::read_nifti(image_path);
  const io::NiftiVolume label = io::read_nifti(task / "labelsTr/BRATS_001.nii.gz");
  image.data[image.data.size() / 2] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_WITH(
      preprocess_brats_case(image, label, BratsCaseContract{}, BratsPreprocessOptions{},
                            image_path.string(), "label"),
      Catch::Contains(image_path.string() + ": the image holds 1 non-finite value(s)"));
}

TEST_CASE("brats-preprocess: a NaN in an image file is an error naming the file", "[prep]") {
  ScratchDir dir("nan-brats-dir");
  BratsSynthOptions synth;
  synth.cases = 2;
  synth.shape = {24, 24, 24};
  const fs::path task = write_brats_synthetic(dir.path(), synth);
  const fs::path image_path = task / "imagesTr/BRATS_002.nii.gz";
  io::NiftiVolume image = io::read_nifti(image_path);
  image.data[100] = std::numeric_limits<float>::quiet_NaN();
  io::write_nifti(image_path, image.shape, image.spacing, image.data, io::NiftiStorage::float32);
  std::ostringstream progress;
  for (int jobs : {1, 2}) {
    INFO("jobs " << jobs);
    REQUIRE_THROWS_WITH(
        preprocess_brats_dir(task, dir / "out", BratsPreprocessOptions{{16, 16}}, progress, jobs),
        Catch::Contains(image_path.string() + ": the image holds 1 non-finite value(s) (first: nan "
                                              "at flat index 100)"));
  }
}
