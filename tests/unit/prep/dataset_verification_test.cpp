// Verification of every data kind: each planted problem is reported, all in one run; --fast
// (headers) finds the structural ones without reading values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "segbench/io/hdf5.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/brats_synthetic.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "segbench/prep/dataset_verification.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench::prep;
using segbench::test::ScratchDir;
namespace fs = std::filesystem;
namespace io = segbench::io;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// The report holds a line containing `text`.
bool reported(const VerifyReport& report, const std::string& text) {
  return std::any_of(report.problems.begin(), report.problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

std::string all(const VerifyReport& report) {
  std::string out;
  for (const auto& p : report.problems) out += p + "\n";
  return out;
}

const DatasetCheckOptions kFull{VerifyDepth::full, 2};
const DatasetCheckOptions kFast{VerifyDepth::headers, 2};

}  // namespace

TEST_CASE("verify cam5: every planted problem in one run", "[prep]") {
  ScratchDir dir("verify-cam5");
  Cam5SynthOptions synth;
  synth.height = 16;
  synth.width = 24;
  synth.event_scale = 4.0;
  synth.train_samples = 5;
  synth.validation_samples = 3;
  const auto files = write_cam5_synthetic(dir.path(), synth);
  write_cam5_stats(dir / "stats.h5", compute_cam5_stats(dir / "train"));
  CHECK(all(verify_cam5(dir.path(), kFull)).empty());
  CHECK(all(verify_cam5(dir.path(), kFast)).empty());

  // NaN in train sample 1 (TMQ), label 7 in train sample 2, another shape in validation 0,
  // labels_0 missing in validation 1, and one train file more than stats.h5 counts.
  Cam5Sample nan = make_cam5_synthetic_sample(synth, 1);
  nan.data[16 * 5] = kNaN;
  write_cam5_sample(files[1], nan);
  Cam5Sample label = make_cam5_synthetic_sample(synth, 2);
  label.labels[3] = 7;
  write_cam5_sample(files[2], label);
  Cam5SynthOptions other = synth;
  other.height = 12;
  write_cam5_sample(files[5], make_cam5_synthetic_sample(other, 5));
  {
    io::H5Writer writer(files[6]);
    const std::vector<float> values(16 * 24 * 16, 1.0f);
    const std::array<std::size_t, 3> shape{16, 24, 16};
    writer.write("climate/data", shape, std::span<const float>(values));
    writer.commit();
  }
  write_cam5_sample(dir / "train/data-2001-01-01-00-1.h5", make_cam5_synthetic_sample(synth, 0));

  const VerifyReport full = verify_cam5(dir.path(), kFull);
  INFO(all(full));
  CHECK(reported(full, files[1].string() + ": dataset climate/data: field TMQ (channel 0) holds 1 "
                                           "non-finite value(s) (first: nan at row 0, column 5)"));
  CHECK(reported(full, files[2].string() + ": dataset climate/labels_0: 1 voxel(s) hold label "
                                           "values outside (0, 1, 2) (first: 7)"));
  CHECK(reported(full, files[5].string() + ": dataset climate/data: shape (12, 24, 16), but 8 of "
                                           "the 9 files have (16, 24, 16)"));
  CHECK(reported(full, files[6].string() + ": dataset climate/labels_0: missing"));
  CHECK(reported(full, "stats.h5: dataset climate/count: 5, but train/ holds 6 files"));

  // Headers only: the structure and counts, not the values.
  const VerifyReport fast = verify_cam5(dir.path(), kFast);
  INFO(all(fast));
  CHECK(reported(fast, files[5].string() + ": dataset climate/data: shape (12, 24, 16)"));
  CHECK(reported(fast, files[6].string() + ": dataset climate/labels_0: missing"));
  CHECK(reported(fast, "train/ holds 6 files"));
  CHECK_FALSE(reported(fast, "non-finite"));
  CHECK_FALSE(reported(fast, "label values"));

  // Same report whatever the jobs.
  CHECK(verify_cam5(dir.path(), {VerifyDepth::full, 1}).problems == full.problems);

  // stats.h5 missing is reported too.
  fs::remove(dir / "stats.h5");
  CHECK(reported(verify_cam5(dir.path(), kFast), "stats.h5: missing"));
}

TEST_CASE("verify cam5: stats.h5 that does not match the data", "[prep]") {
  ScratchDir dir("verify-cam5-stats");
  Cam5SynthOptions synth;
  synth.height = 8;
  synth.width = 12;
  synth.train_samples = 3;
  synth.validation_samples = 1;
  write_cam5_synthetic(dir.path(), synth);
  Cam5Stats stats = compute_cam5_stats(dir / "train");
  stats.maxval[3] += 1.0;
  stats.mean[4] *= 1.01;
  write_cam5_stats(dir / "stats.h5", stats);
  const VerifyReport full = verify_cam5(dir.path(), kFull);
  INFO(all(full));
  CHECK(reported(full, "stats.h5: UBOT (channel 3): minval/maxval"));
  CHECK(reported(full, "stats.h5: VBOT (channel 4): mean/sqmean"));
  CHECK(full.problems.size() == 2);
}

TEST_CASE("verify kits19 raw: every planted problem in one run", "[prep]") {
  ScratchDir dir("verify-kits-raw");
  Kits19SynthOptions synth;
  synth.cases = 4;
  synth.shape = {8, 12, 12};
  write_kits19_synthetic(dir.path(), synth);
  CHECK(all(verify_kits19_raw(dir.path(), kFull)).empty());

  fs::remove(dir / "case_00000/imaging.nii.gz");
  io::NiftiVolume label = io::read_nifti(dir / "case_00001/segmentation.nii.gz");
  io::write_nifti(dir / "case_00001/segmentation.nii.gz", {8, 12, 10}, label.spacing,
                  std::vector<float>(8 * 12 * 10, 0.0f), io::NiftiStorage::uint8);
  io::NiftiVolume image = io::read_nifti(dir / "case_00002/imaging.nii.gz");
  image.data[4] = std::numeric_limits<float>::infinity();
  io::write_nifti(dir / "case_00002/imaging.nii.gz", image.shape, image.spacing, image.data,
                  io::NiftiStorage::float32);
  label = io::read_nifti(dir / "case_00003/segmentation.nii.gz");
  label.data[0] = 9;
  io::write_nifti(dir / "case_00003/segmentation.nii.gz", label.shape, label.spacing, label.data,
                  io::NiftiStorage::uint8);

  const VerifyReport full = verify_kits19_raw(dir.path(), kFull);
  INFO(all(full));
  CHECK(reported(full, "case_00000/imaging.nii.gz: missing"));
  CHECK(reported(full,
                 "case_00001/segmentation.nii.gz: shape (8, 12, 10) differs from the "
                 "image's (8, 12, 12)"));
  CHECK(reported(full, "case_00002/imaging.nii.gz: 1 non-finite value(s) (first: inf"));
  CHECK(reported(full,
                 "case_00003/segmentation.nii.gz: 1 voxel(s) hold label values outside "
                 "(0, 1, 2) (first: 9)"));
  CHECK(full.problems.size() == 4);
  const VerifyReport fast = verify_kits19_raw(dir.path(), kFast);
  CHECK(fast.problems.size() == 2);  // missing file and wrong shape
}

TEST_CASE("verify kits19 preprocessed: every planted problem in one run", "[prep]") {
  ScratchDir dir("verify-kits-npy");
  const std::vector<std::size_t> shape{1, 4, 5, 6};
  const std::vector<float> image(120, 0.5f);
  const std::vector<std::uint8_t> labels(120, 1);
  const auto write_case = [&](const std::string& name) {
    io::write_npy(dir / (name + "_x.npy"), io::NpyDtype::float32, shape, image.data());
    io::write_npy(dir / (name + "_y.npy"), io::NpyDtype::uint8, shape, labels.data());
  };
  for (const char* name :
       {"case_00000", "case_00001", "case_00002", "case_00003", "case_00004", "case_00005"})
    write_case(name);
  CHECK(all(verify_kits19_preprocessed(dir.path(), kFull)).empty());

  fs::remove(dir / "case_00001_y.npy");
  io::write_npy(dir / "case_00002_x.npy", io::NpyDtype::uint8, shape, labels.data());
  const std::vector<std::size_t> other{1, 4, 5, 5};
  io::write_npy(dir / "case_00003_y.npy", io::NpyDtype::uint8, other, labels.data());
  std::vector<float> nan_image = image;
  nan_image[7] = kNaN;
  io::write_npy(dir / "case_00004_x.npy", io::NpyDtype::float32, shape, nan_image.data());
  std::vector<std::uint8_t> bad_labels = labels;
  bad_labels[2] = 4;
  io::write_npy(dir / "case_00005_y.npy", io::NpyDtype::uint8, shape, bad_labels.data());
  std::ofstream(dir / "segbench_manifest.json")
      << R"({"format": "segbench-checksum-manifest", "synthetic": true, "files": )"
      << R"({"case_00000_x.npy": "0", "case_00009_x.npy": "0"}})";

  const VerifyReport full = verify_kits19_preprocessed(dir.path(), kFull);
  INFO(all(full));
  CHECK(reported(full, "case_00009_x.npy: missing (listed in segbench_manifest.json)"));
  CHECK(reported(full, "case_00001_y.npy: missing"));
  CHECK(reported(full, "case_00002_x.npy: dtype |u1, expected float32"));
  CHECK(reported(full, "case_00003_y.npy: shape (1, 4, 5, 5) differs from the image's"));
  CHECK(reported(full, "case_00004_x.npy: 1 non-finite value(s) (first: nan at flat index 7)"));
  CHECK(reported(full, "case_00005_y.npy: 1 voxel(s) hold label values outside (0, 1, 2)"));
  CHECK(full.problems.size() == 6);
  CHECK(verify_kits19_preprocessed(dir.path(), kFast).problems.size() == 4);
}

TEST_CASE("verify brats: every planted problem in one run", "[prep]") {
  ScratchDir dir("verify-brats");
  BratsSynthOptions synth;
  synth.cases = 5;
  synth.shape = {24, 24, 24};
  const fs::path task = write_brats_synthetic(dir.path(), synth);
  CHECK(all(verify_brats(task, kFull)).empty());

  fs::remove(task / "imagesTr/BRATS_001.nii.gz");
  io::NiftiVolume label = io::read_nifti(task / "labelsTr/BRATS_002.nii.gz");
  io::write_nifti(task / "labelsTr/BRATS_002.nii.gz", {24, 22, 24}, label.spacing,
                  std::vector<float>(24 * 22 * 24, 0.0f), io::NiftiStorage::uint8);
  io::NiftiVolume image = io::read_nifti(task / "imagesTr/BRATS_003.nii.gz");
  image.data[11] = kNaN;
  io::write_nifti(task / "imagesTr/BRATS_003.nii.gz", image.shape, image.spacing, image.data,
                  io::NiftiStorage::float32);
  label = io::read_nifti(task / "labelsTr/BRATS_004.nii.gz");
  label.data[1] = 6;
  io::write_nifti(task / "labelsTr/BRATS_004.nii.gz", label.shape, label.spacing, label.data,
                  io::NiftiStorage::uint8);
  image = io::read_nifti(task / "imagesTr/BRATS_005.nii.gz");
  io::write_nifti(task / "imagesTr/BRATS_005.nii.gz", {24, 24, 24, 3}, image.spacing,
                  std::vector<float>(image.data.begin(), image.data.begin() + 24 * 24 * 24 * 3),
                  io::NiftiStorage::float32);

  const VerifyReport full = verify_brats(task, kFull);
  INFO(all(full));
  CHECK(reported(full, "imagesTr/BRATS_001.nii.gz: missing (listed in"));
  CHECK(reported(full, "labelsTr/BRATS_002.nii.gz: shape (24, 22, 24), expected the image's"));
  CHECK(reported(full, "imagesTr/BRATS_003.nii.gz: 1 non-finite value(s) (first: nan"));
  CHECK(reported(full,
                 "labelsTr/BRATS_004.nii.gz: 1 voxel(s) hold label values outside (0, 1, 2, "
                 "3) (first: 6)"));
  CHECK(reported(full, "imagesTr/BRATS_005.nii.gz: shape (24, 24, 24, 3), expected (X, Y, Z, 4)"));
  CHECK(full.problems.size() == 5);
  CHECK(verify_brats(task, kFast).problems.size() == 3);

  // dataset.json with 3 modalities (a wrong count) is reported as well.
  nlohmann::json doc;
  std::ifstream(task / "dataset.json") >> doc;
  doc["modality"].erase("3");
  std::ofstream(task / "dataset.json") << doc.dump();
  CHECK(reported(verify_brats(task, kFast), "3 modalities, BraTS has 4"));
}

TEST_CASE("verify brats preprocessed: every planted problem in one run", "[prep]") {
  ScratchDir dir("verify-brats-npy");
  std::ofstream(dir / "config.json")
      << R"({"patch_size": [6, 5], "spacings": [1.0, 1.0], "n_class": 4, "in_channels": 4})";
  const std::vector<std::size_t> x_shape{4, 3, 6, 5}, y_shape{1, 3, 6, 5};
  const std::vector<float> image(4 * 90, 0.25f);
  const std::vector<std::uint8_t> labels(90, 3);
  for (const char* name : {"BRATS_001", "BRATS_002", "BRATS_003", "BRATS_004", "BRATS_005"}) {
    io::write_npy(dir / (std::string(name) + "_x.npy"), io::NpyDtype::float32, x_shape,
                  image.data());
    io::write_npy(dir / (std::string(name) + "_y.npy"), io::NpyDtype::uint8, y_shape,
                  labels.data());
  }
  CHECK(all(verify_brats_preprocessed(dir.path(), kFull)).empty());

  fs::remove(dir / "BRATS_001_x.npy");
  const std::vector<std::size_t> wrong{4, 3, 6, 6};
  io::write_npy(dir / "BRATS_002_x.npy", io::NpyDtype::float32, wrong,
                std::vector<float>(4 * 108, 0.0f).data());
  std::vector<float> nan_image = image;
  nan_image[50] = kNaN;
  io::write_npy(dir / "BRATS_003_x.npy", io::NpyDtype::float32, x_shape, nan_image.data());
  std::vector<std::uint8_t> bad = labels;
  bad[8] = 4;
  io::write_npy(dir / "BRATS_004_y.npy", io::NpyDtype::uint8, y_shape, bad.data());

  const VerifyReport full = verify_brats_preprocessed(dir.path(), kFull);
  INFO(all(full));
  CHECK(reported(full, "BRATS_001_x.npy: missing (its partner exists)"));
  CHECK(reported(full, "BRATS_002_x.npy: shape (4, 3, 6, 6), expected (4, D, 6, 5)"));
  CHECK(reported(full, "BRATS_003_x.npy: 1 non-finite value(s)"));
  CHECK(reported(full, "BRATS_004_y.npy: 1 voxel(s) hold label values outside (0, 1, 2, 3)"));
  CHECK(full.problems.size() == 5);  // BRATS_002_y is also not (1, D, H, W) of its image
  CHECK(verify_brats_preprocessed(dir.path(), kFast).problems.size() == 3);
  fs::remove(dir / "config.json");
  CHECK(reported(verify_brats_preprocessed(dir.path(), kFast), "config.json: missing"));
}
