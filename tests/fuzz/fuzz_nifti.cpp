// libFuzzer target: io::read_nifti on arbitrary bytes saved as FUZZ_NIFTI_NAME: "input.nii"
// (plain; mutations reach the header fields) or "input.nii.gz" (the bytes are the gzip stream
// itself; mutations reach zlib's and nifticlib's handling of corrupt and truncated streams).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "segbench/io/nifti.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = segbench::fuzz::scratch_file(FUZZ_NIFTI_NAME);
  segbench::fuzz::write_input(path, data, size);
  try {
    const segbench::io::NiftiVolume volume = segbench::io::read_nifti(path);
    if (volume.data.size() != volume.numel()) __builtin_trap();
    for (const double s : volume.spacing)
      if (!(std::isfinite(s) && s > 0)) __builtin_trap();  // read_nifti must refuse these
  } catch (const segbench::DataError& error) {
    segbench::fuzz::expect_names_file(error, path);
  }
  return 0;
}
