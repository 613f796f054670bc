// A generator of raw KiTS19-layout data (<out>/case_XXXXX/imaging.nii.gz + segmentation.nii.gz)
// with CT-like, learnable content: air, an elliptical body with a fat rim, soft tissue, a
// liver, a spine, two kidneys in perirenal fat, and one bright tumour on a kidney. No torch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "segbench/io/nifti.hpp"

namespace segbench::prep {

struct Kits19SynthOptions {
  int cases = 4;
  std::uint64_t seed = 0;
  int first_case_id = 0;
  std::array<std::size_t, 3> shape{32, 96, 96};  ///< (D, H, W); D is the slice axis (pixdim[1])
  std::array<double, 3> spacing{3.0, 0.9, 0.9};  ///< mm, (slice thickness, row, column)
  double noise_hu = 15.0;                        ///< standard deviation of Gaussian noise
};

/// Hounsfield units the generator draws (before noise); kidney and tumour vary per case
/// within these ranges.
namespace synth_hu {
inline constexpr float air = -1000.0f;
inline constexpr float fat = -100.0f;
inline constexpr float soft_tissue = 40.0f;
inline constexpr float liver = 60.0f;
inline constexpr float bone = 700.0f;
inline constexpr float kidney_min = 160.0f, kidney_max = 180.0f;
inline constexpr float tumour_min = 250.0f, tumour_max = 270.0f;
}  // namespace synth_hu

/// One generated case in memory: image in HU (rounded to integers), label 0/1/2.
struct SynthCase {
  io::NiftiVolume image;
  io::NiftiVolume label;
};

/// Case `index` (0-based) of the generator; depends only on (options, index).
SynthCase make_kits19_synthetic_case(const Kits19SynthOptions& options, int index);

/// Written beside the generated cases: preprocessing records the data as synthetic, so that
/// nothing ever verifies it against (or presents it as) the official KiTS19 data.
inline constexpr std::string_view kKits19SyntheticMarker = "segbench_synthetic.json";

/// Writes options.cases cases named case_%05d from first_case_id and the marker file; returns
/// the case directories.
std::vector<std::filesystem::path> write_kits19_synthetic(const std::filesystem::path& out_dir,
                                                          const Kits19SynthOptions& options,
                                                          std::ostream* progress = nullptr);

}  // namespace segbench::prep
