// The header of a NIfTI file without its voxels: what verification and the memory estimate of
// --jobs read. TODO(io): belongs in io/nifti.hpp as read_nifti_header (src/io is another
// helper's today). No torch here.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <vector>

namespace segbench::prep {

struct NiftiHeader {
  std::vector<std::size_t> shape;   ///< (dim[1], ..., dim[ndim]) as nibabel shows it
  std::array<double, 3> spacing{};  ///< pixdim[1..3]
  std::size_t numel() const;
};

/// Through nifticlib with read_data = 0. DataError naming the file when it cannot be read.
NiftiHeader read_nifti_header(const std::filesystem::path& path);

}  // namespace segbench::prep
