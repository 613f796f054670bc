// 4-D NIfTI (X, Y, Z, C) round trip with a synthetic BraTS case; a file made the same way was
// cross-checked once with nibabel during development (shape (X, Y, Z, 4), get_fdata equal).
#include <catch2/catch.hpp>

#include "segbench/io/nifti.hpp"
#include "segbench/prep/brats_synthetic.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;

TEST_CASE("nifti: a 4-D float32 BraTS-like image round trips in nibabel index order", "[io]") {
  test::ScratchDir dir("nifti4d");
  prep::BratsSynthOptions options;
  options.shape = {30, 26, 24};
  const auto c = prep::make_brats_synthetic_case(options, 0);
  io::write_nifti(dir / "BRATS_001.nii.gz", c.image.shape, {1.0, 1.0, 1.0}, c.image.data,
                  io::NiftiStorage::float32);
  const io::NiftiVolume back = io::read_nifti(dir / "BRATS_001.nii.gz");
  CHECK(back.shape == std::vector<std::size_t>{30, 26, 24, 4});
  CHECK(back.datatype == 16);  // float32
  CHECK(back.spacing == std::array<double, 3>{1.0, 1.0, 1.0});
  REQUIRE(back.data.size() == 30 * 26 * 24 * 4);
  CHECK(back.data == c.image.data);
  // Element [x, y, z, c] of the C-order array: channel fastest, then z.
  const auto at = [&](std::size_t x, std::size_t y, std::size_t z, std::size_t ch) {
    return back.data[((x * 26 + y) * 24 + z) * 4 + ch];
  };
  CHECK(at(0, 0, 0, 3) == 0.0f);    // background corner
  CHECK(at(15, 13, 12, 0) > 0.0f);  // brain centre, every modality
  CHECK(at(15, 13, 12, 2) > 0.0f);
}
