#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "segbench/io/nifti.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "support/scratch_dir.hpp"

using segbench::io::read_nifti;
using segbench::prep::Kits19SynthOptions;
using segbench::prep::make_kits19_synthetic_case;
using segbench::prep::write_kits19_synthetic;

TEST_CASE("synthetic KiTS19 cases have the raw layout and CT-like classes", "[prep]") {
  segbench::test::ScratchDir dir("synth");
  Kits19SynthOptions options;
  options.cases = 3;
  options.seed = 7;
  options.first_case_id = 40;
  const auto dirs = write_kits19_synthetic(dir.path(), options);
  REQUIRE(dirs.size() == 3);
  CHECK(dirs[2].filename() == "case_00042");
  for (const auto& case_dir : dirs) {
    INFO(case_dir.string());
    const auto image = read_nifti(case_dir / "imaging.nii.gz");
    const auto label = read_nifti(case_dir / "segmentation.nii.gz");
    CHECK(image.shape == std::vector<std::size_t>{32, 96, 96});
    CHECK(label.shape == image.shape);
    CHECK(image.datatype == 4);  // int16
    CHECK(label.datatype == 2);  // uint8
    CHECK(image.spacing[0] == Approx(3.0));
    CHECK(image.spacing[1] == Approx(0.9));
    CHECK(label.spacing == image.spacing);

    std::map<int, double> sum;
    std::map<int, std::size_t> count;
    std::size_t bad_labels = 0;
    for (std::size_t i = 0; i < label.data.size(); ++i) {
      const int cls = static_cast<int>(label.data[i]);
      if (label.data[i] != static_cast<float>(cls) || cls < 0 || cls > 2) {
        ++bad_labels;
        continue;
      }
      sum[cls] += image.data[i];
      ++count[cls];
    }
    CHECK(bad_labels == 0);
    // Both foreground classes present; the tumour (radius >= 10.8 mm) spans >= 1000 voxels of
    // 3 x 0.9 x 0.9 mm, i.e. a radius of >= 6 voxels after resampling to 1.6/1.2/1.2 mm.
    CHECK(count[1] > 1000);
    CHECK(count[2] > 1000);
    CHECK(sum[1] / count[1] == Approx(170.0).margin(12.0));
    CHECK(sum[2] / count[2] == Approx(260.0).margin(12.0));
    CHECK(sum[0] / count[0] < 0.0);  // air and fat dominate the background
  }
}

TEST_CASE("synthetic KiTS19 is deterministic for a seed", "[prep]") {
  Kits19SynthOptions options;
  options.shape = {12, 40, 40};
  options.seed = 123;
  const auto a = make_kits19_synthetic_case(options, 1);
  const auto b = make_kits19_synthetic_case(options, 1);
  CHECK(a.image.data == b.image.data);
  CHECK(a.label.data == b.label.data);
  CHECK(make_kits19_synthetic_case(options, 2).image.data != a.image.data);
  options.seed = 124;
  CHECK(make_kits19_synthetic_case(options, 1).image.data != a.image.data);
  // Noise is Gaussian with the requested sigma: air voxels (label 0, HU near -1000).
  double sum = 0, sum_sq = 0;
  std::size_t n = 0;
  for (float v : a.image.data) {
    if (v < -900.f) {
      sum += v;
      sum_sq += static_cast<double>(v) * v;
      ++n;
    }
  }
  REQUIRE(n > 1000);
  const double mean = sum / static_cast<double>(n);
  CHECK(mean == Approx(-1000.0).margin(2.0));
  CHECK(std::sqrt(sum_sq / static_cast<double>(n) - mean * mean) == Approx(15.0).margin(1.5));
}
