// KiTS19 preprocessing as REF3D's preprocess_dataset.py does it: resample to 1.6/1.2/1.2 mm
// (trilinear image, legacy-nearest label), clip and normalise, edge-pad to the minimum shape,
// save case_XXXXX_{x,y}.npy. No torch: xtensor (prep/volume_resampling.hpp reproduces ATen's
// interpolation), so data can be prepared on a node without LibTorch.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "segbench/io/nifti.hpp"
#include "segbench/prep/checksum_manifest.hpp"
#include "segbench/prep/volume_resampling.hpp"

namespace segbench::prep {

struct Kits19PreprocessOptions {
  std::array<double, 3> target_spacing{1.6, 1.2, 1.2};
  float clip_min = -79.0f;
  float clip_max = 304.0f;
  float mean = 101.0f;
  float stddev = 76.9f;
  std::int64_t min_shape = 128;  ///< each axis shorter than this is edge-padded to it
  int max_case_id = 210;         ///< cases with id >= this are skipped (KiTS19 test cases)
  /// Whose trilinear arithmetic the image resampling reproduces: PyTorch 1.x's (the reference's
  /// era, the default) or 2.x's.
  InterpolationArithmetic interpolation = InterpolationArithmetic::aten1;
};

/// image: float32 (D, H, W) normalised; label: uint8 (D, H, W). The .npy files hold them as
/// (1, D, H, W), the channel axis the reference's loader expects.
struct PreprocessedCase {
  xt::xtensor<float, 3> image;
  xt::xtensor<std::uint8_t, 3> label;
};

/// The spatial shape after resampling: int(spacing / target * shape) per axis, or the raw
/// shape when the spacing equals the target exactly.
std::array<std::int64_t, 3> resampled_shape(const std::array<double, 3>& spacing,
                                            const std::vector<std::size_t>& shape,
                                            const std::array<double, 3>& target_spacing);

/// Peak memory of one preprocessing job, estimated from the raw shape: raw image and label
/// as float, the image and label copies (13 bytes a raw voxel, 14 counted; the decompressed file
/// buffer is freed before) and the resampled image and label with their padded copies (10 bytes an
/// output voxel), plus a base for the process. bench/data_tools_bench.sh checks it against the
/// measured peak RSS.
inline constexpr std::uint64_t kKits19BytesPerRawVoxel = 14;
inline constexpr std::uint64_t kKits19BytesPerOutputVoxel = 10;
inline constexpr std::uint64_t kKits19JobBaseBytes = std::uint64_t{64} << 20;
std::uint64_t kits19_job_bytes(const std::vector<std::size_t>& raw_shape,
                               const std::array<double, 3>& spacing,
                               const Kits19PreprocessOptions& options);

/// Preprocesses one case held in memory. Throws DataError naming `case_name` when image and
/// label disagree in shape or spacing or are not 3-D.
PreprocessedCase preprocess_kits19_case(const io::NiftiVolume& image, const io::NiftiVolume& label,
                                        const Kits19PreprocessOptions& options,
                                        const std::string& case_name = "case");

struct PreprocessReport {
  int cases_written = 0;             ///< in the manifest, resumed ones included
  int cases_resumed = 0;             ///< finished by an earlier run with the same settings, kept
  std::vector<std::string> skipped;  ///< case directory names skipped by id
  std::vector<std::string> written_files;  ///< file names inside results_dir, in write order
  std::filesystem::path manifest;          ///< the segbench_manifest.json written
  bool synthetic = false;                  ///< raw_data_dir came from kits19-synth
};

/// Visits the entries of raw_data_dir whose name contains "case", in sorted order, preprocesses
/// each `<case>/imaging.nii.gz` + `segmentation.nii.gz` into `<results_dir>/<case>_x.npy` and
/// `_y.npy`, prints one progress line per case, then writes `<results_dir>/segbench_manifest.json`
/// (marked synthetic when raw_data_dir holds kits19-synth's marker file; removed at the start, so
/// an interrupted run leaves none). A rerun into the same results_dir with the same settings
/// (segbench_preprocess_settings.json) keeps each case whose two files are complete with the
/// expected dtypes and shape, and preprocesses the rest. `jobs` cases run at
/// a time (0: every core; fewer when kits19_job_bytes of the largest case times the jobs would
/// not fit the available memory); the files and the manifest do not depend on it. An image holding
/// NaN or Inf is a DataError naming its file.
PreprocessReport preprocess_kits19_dir(const std::filesystem::path& raw_data_dir,
                                       const std::filesystem::path& results_dir,
                                       const Kits19PreprocessOptions& options,
                                       std::ostream& progress, int jobs = 1);

}  // namespace segbench::prep
