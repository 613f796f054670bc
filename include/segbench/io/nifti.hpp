// NIfTI-1/-2 volumes (.nii, .nii.gz) read and written through nifticlib. No torch here.
// Errors throw DataError naming the file and what was expected vs found.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <vector>

namespace segbench::io {

/// A volume as nibabel presents it: array index [i, j, k(, t)] is voxel (i, j, k(, t)).
struct NiftiVolume {
  std::vector<std::size_t> shape;   ///< (dim[1], dim[2], dim[3][, dim[4]])
  std::array<double, 3> spacing{};  ///< pixdim[1..3]
  int datatype = 0;                 ///< NIfTI datatype code of the file (DT_*)
  std::vector<float> data;          ///< C order over `shape` (last axis fastest), scaled

  std::size_t numel() const;
};

/// How write_nifti stores the voxels on disk.
enum class NiftiStorage { int16, uint8, float32 };

/// Reads a .nii or .nii.gz file. Values are scl_slope * raw + scl_inter, as nibabel's
/// get_fdata() (a slope of 0 or non-finite means no scaling), computed in double.
NiftiVolume read_nifti(const std::filesystem::path& path);

/// Writes a NIfTI-1 single file (.nii or .nii.gz by the path's extension) atomically.
/// `shape` has 3 or 4 entries; `data_c_order` is C order over `shape`. Integer storage rounds
/// to nearest and throws DataError for values that do not fit.
void write_nifti(const std::filesystem::path& path, const std::vector<std::size_t>& shape,
                 const std::array<double, 3>& spacing, const std::vector<float>& data_c_order,
                 NiftiStorage storage);

}  // namespace segbench::io
