#include "segbench/prep/nifti_header.hpp"

#include <nifti2_io.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "segbench/error.hpp"

namespace segbench::prep {

std::size_t NiftiHeader::numel() const {
  std::size_t count = 1;
  for (std::size_t d : shape) count *= d;
  return count;
}

NiftiHeader read_nifti_header(const std::filesystem::path& path) {
  std::unique_ptr<nifti_image, void (*)(nifti_image*)> image(nifti_image_read(path.c_str(), 0),
                                                             nifti_image_free);
  SEGBENCH_CHECK(image != nullptr, DataError, "{}: cannot read the NIfTI header", path.string());
  NiftiHeader h;
  for (std::int64_t a = 1; a <= image->dim[0] && a <= 7; ++a)
    h.shape.push_back(static_cast<std::size_t>(std::max<std::int64_t>(0, image->dim[a])));
  for (std::size_t a = 0; a < 3; ++a) h.spacing[a] = image->pixdim[a + 1];
  return h;
}

}  // namespace segbench::prep
