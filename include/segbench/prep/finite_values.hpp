// Finding NaN and infinite values in input data, so that no tool turns them silently into NaN
// statistics or NaN training inputs. No torch here.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace segbench::prep {

struct NonFiniteValues {
  std::size_t count = 0;        ///< values that are NaN or +-Inf
  std::size_t first_index = 0;  ///< flat index of the first one
  float first_value = 0.0f;
  bool any() const { return count > 0; }
};

/// Every `stride`-th value from `offset` (a channel of channels-last data: offset c, stride C).
NonFiniteValues find_non_finite(std::span<const float> values, std::size_t offset = 0,
                                std::size_t stride = 1);

/// "3 non-finite value(s) (first: nan at flat index 17)"; `index_text` replaces the flat index.
std::string describe_non_finite(const NonFiniteValues& found, const std::string& index_text = {});

/// The NaN/Inf values stored in a NIfTI file (.nii or .nii.gz; NIfTI-1 or -2; float32 or
/// float64 voxels; other types hold none), scanning the stored voxels in file order without
/// converting the volume (what verification uses). DataError naming the file when it cannot be
/// read.
NonFiniteValues find_non_finite_in_nifti(const std::filesystem::path& path);

/// "voxel 17 in file order" (the first one find_non_finite_in_nifti found).
std::string nifti_voxel_text(const NonFiniteValues& found);

}  // namespace segbench::prep
