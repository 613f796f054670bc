// Structural verification of every data kind, reporting every problem at once: KiTS19 raw
// NIfTI and preprocessed .npy, CAM5 HDF5 (with stats.h5), BraTS / MSD Task01. Two depths:
// `headers` reads only headers, names and counts (what the drivers run at start-up so that a
// run never starts on a broken set); `full` also reads every value (NaN/Inf, label values,
// stats.h5 against the data). Checksums are kits19-verify's business (kits19_verification.hpp).
// No torch here.
#pragma once

#include <cstddef>
#include <filesystem>

#include "segbench/prep/checksum_manifest.hpp"

namespace segbench::prep {

enum class VerifyDepth { headers, full };

struct DatasetCheckOptions {
  VerifyDepth depth = VerifyDepth::full;
  int jobs = 1;  ///< files checked at a time (0: every core); the report does not depend on it
  /// CAM5 at the real shape: require the real split's file counts (off for a part of the data).
  bool real_counts = true;
};

/// The real CAM5 split (DeepCAM, MLPerf HPC): 768 x 1152 pixels, 16 channels.
inline constexpr std::size_t kCam5RealTrainFiles = 121266;
inline constexpr std::size_t kCam5RealValidationFiles = 15158;
inline constexpr std::size_t kCam5RealHeight = 768;
inline constexpr std::size_t kCam5RealWidth = 1152;

/// KiTS19 raw: every case_XXXXX directory has imaging.nii.gz and segmentation.nii.gz, both
/// 3-D with the same shape and positive spacing; full: a finite image and labels in {0, 1, 2}.
VerifyReport verify_kits19_raw(const std::filesystem::path& raw_dir,
                               const DatasetCheckOptions& options = {});

/// KiTS19 preprocessed: case_XXXXX_x.npy float32 (1, D, H, W) and _y.npy uint8 of the same
/// shape for every case (each file has its partner); every case of segbench_manifest.json
/// present when there is one; full: finite images, labels in {0, 1, 2}.
VerifyReport verify_kits19_preprocessed(const std::filesystem::path& results_dir,
                                        const DatasetCheckOptions& options = {});

/// CAM5: train/ and validation/ (and test/ when present) of *.h5 files; each climate/data
/// (H, W, C) floating and climate/labels_0 (H, W) integer, of the shape most files have; at
/// 768 x 1152 x 16 (the real data) the counts of the real split; stats.h5 (when present):
/// count = number of train files, (C,) vectors, finite, minval <= mean <= maxval. Full: every
/// value finite, labels in {0, 1, 2}, and stats.h5 recomputed from train/ (min/max exactly,
/// mean/sqmean to 1e-5 relative).
VerifyReport verify_cam5(const std::filesystem::path& data_dir,
                         const DatasetCheckOptions& options = {});

/// BraTS / MSD Task01: dataset.json readable, every listed file present, 4 modalities, each
/// image 4-D (X, Y, Z, 4) and its label 3-D with the same (X, Y, Z); full: a finite image and
/// label values among dataset.json's labels.
VerifyReport verify_brats(const std::filesystem::path& task_dir,
                          const DatasetCheckOptions& options = {});

/// BraTS preprocessed (brats-preprocess output, what unet2d_brats reads): config.json readable
/// with patch_size, n_class, in_channels; every BRATS_XXX_x.npy float32 (in_channels, D, H, W)
/// with (H, W) = patch_size and its _y.npy uint8 (1, D, H, W); full: finite images, labels in
/// 0 .. n_class - 1.
VerifyReport verify_brats_preprocessed(const std::filesystem::path& results_dir,
                                       const DatasetCheckOptions& options = {});

}  // namespace segbench::prep
