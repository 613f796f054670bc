// BraTS (MSD Task01) preprocessing as nnU-Net's `preprocess.py --task 01 --dim 2` does it in
// training mode (fidelity §3.2): channel-first layout, crop to the foreground, per-channel z-score,
// zero-pad then centre-crop H×W to the patch, save BRATS_XXX_{x,y}.npy. No torch here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "segbench/io/nifti.hpp"

namespace segbench::prep {

struct BratsPreprocessOptions {
  std::array<std::size_t, 2> patch_size{192, 160};  ///< (H, W) of every saved slice
};

/// What dataset.json declares about every case: len(modality) channels, the label values.
struct BratsCaseContract {
  std::size_t channels = 4;
  std::vector<int> label_values{0, 1, 2, 3};
};

/// Half-open bounds over (D, H, W) = (z, y, x) of the channel-first volume.
struct ForegroundBox {
  std::array<std::size_t, 3> begin{};
  std::array<std::size_t, 3> end{};
};

struct BratsPreprocessedCase {
  std::array<std::size_t, 4> image_shape{};  ///< (C, D, Hp, Wp)
  std::vector<float> image;                  ///< C order over image_shape
  std::array<std::size_t, 4> label_shape{};  ///< (1, D, Hp, Wp)
  std::vector<std::uint8_t> label;           ///< C order over label_shape
  std::array<std::size_t, 4> raw_shape{};    ///< (C, Z, Y, X) before cropping
  ForegroundBox foreground;                  ///< the crop, in raw (z, y, x) voxels
  std::vector<double> channel_mean;          ///< z-score parameters of the cropped volume
  std::vector<double> channel_std;
};

/// The steps of fidelity §3.2 on one case held in memory (volumes as io::read_nifti returns them).
/// A 3-D image gets a trailing channel axis; the label may be 3-D or 4-D with one channel.
/// The std is numpy's np.std (population, ddof 0), as MONAI NormalizeIntensity uses; a
/// channel with std 0 is divided by 1 (MONAI's rule). Throws DataError naming `image_name`
/// or `label_name` for a 3-D image where contract.channels > 1, a channel count other than
/// contract.channels, image/label spatial shapes that differ, a label value outside
/// contract.label_values, an image holding NaN or Inf, or an image without any voxel > 0.
BratsPreprocessedCase preprocess_brats_case(const io::NiftiVolume& image,
                                            const io::NiftiVolume& label,
                                            const BratsCaseContract& contract,
                                            const BratsPreprocessOptions& options,
                                            const std::string& image_name = "image",
                                            const std::string& label_name = "label");

/// Peak memory of one preprocessing job, estimated from the image header: the image as read
/// and channel-first (4 + 4 bytes a voxel), the label as read and channel-first (2 x 4 bytes a
/// spatial voxel, i.e. 2 a voxel of 4 channels), the cropped output (at most 4 + 1), plus a
/// base; bench/data_tools_bench.sh checks it against the measured peak RSS.
inline constexpr std::uint64_t kBratsBytesPerImageVoxel = 15;
inline constexpr std::uint64_t kBratsJobBaseBytes = std::uint64_t{64} << 20;
struct NiftiHeader;
std::uint64_t brats_job_bytes(const NiftiHeader& image);

struct BratsPreprocessReport {
  int cases_written = 0;  ///< every training case, resumed ones included
  int cases_resumed = 0;  ///< finished by an earlier run with the same settings, kept
  std::vector<std::string> written_files;  ///< file names inside results_dir, in write order
  std::filesystem::path config;            ///< the config.json written
};

/// Reads `<task_dir>/dataset.json`, checks every training file exists, preprocesses each
/// training pair (dataset.json order) into `<results_dir>/<case>_x.npy` (float32 (C, D, H, W))
/// and `<case>_y.npy` (uint8 (1, D, H, W)), printing one line per case and a summary to
/// `progress`, then writes `<results_dir>/config.json` (removed at the start, so an interrupted
/// run leaves none). A rerun into the same results_dir with the same settings
/// (segbench_preprocess_settings.json) keeps each case whose two files are complete with the
/// expected dtypes and channels, and preprocesses the rest. The reference writes to
/// `<results>/01_2d/`; here results_dir is that output folder itself. `jobs` cases run at a
/// time (0: every core; fewer when brats_job_bytes of the largest image times the jobs would
/// not fit the available memory); the files written do not depend on it.
BratsPreprocessReport preprocess_brats_dir(const std::filesystem::path& task_dir,
                                           const std::filesystem::path& results_dir,
                                           const BratsPreprocessOptions& options,
                                           std::ostream& progress, int jobs = 1);

/// config.json = {"patch_size": [H, W], "spacings": [1.0, 1.0], "n_class": n,
/// "in_channels": c}, the fields of the reference's config.pkl (2-D: no resampling, so the
/// spacings are the fixed [1.0, 1.0]). Written atomically; returns its path.
std::filesystem::path write_brats_config(const std::filesystem::path& results_dir,
                                         const BratsPreprocessOptions& options, std::size_t n_class,
                                         std::size_t in_channels);

}  // namespace segbench::prep
