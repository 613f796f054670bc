#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/prep/kits19_preprocess.hpp"

using segbench::DataError;
using segbench::io::NiftiVolume;
using segbench::prep::Kits19PreprocessOptions;
using segbench::prep::preprocess_kits19_case;
using segbench::prep::resampled_shape;

namespace {

template <class F>
NiftiVolume volume(std::vector<std::size_t> shape, std::array<double, 3> spacing, F value) {
  NiftiVolume v;
  v.shape = shape;
  v.spacing = spacing;
  for (std::size_t z = 0; z < shape[0]; ++z)
    for (std::size_t y = 0; y < shape[1]; ++y)
      for (std::size_t x = 0; x < shape[2]; ++x)
        v.data.push_back(static_cast<float>(
            value(static_cast<int>(z), static_cast<int>(y), static_cast<int>(x))));
  return v;
}

float normalised(float hu) {
  return (std::clamp(hu, -79.0f, 304.0f) - 101.0f) / 76.9f;
}

Kits19PreprocessOptions no_padding() {
  Kits19PreprocessOptions options;
  options.min_shape = 1;
  return options;
}

}  // namespace

TEST_CASE("resampled_shape truncates spacing / target * shape", "[prep]") {
  using Shape = std::array<std::int64_t, 3>;
  const std::array<double, 3> target{1.6, 1.2, 1.2};
  // 0.5 / 1.6 * 611 = 190.94; 0.78125 / 1.2 * 512 = 333.33
  CHECK(resampled_shape({0.5, 0.78125, 0.78125}, {611, 512, 512}, target) == Shape{190, 333, 333});
  CHECK(resampled_shape({3.2, 2.4, 3.0}, {2, 3, 4}, target) == Shape{4, 6, 10});
  CHECK(resampled_shape(target, {7, 8, 9}, target) == Shape{7, 8, 9});
}

TEST_CASE("preprocessing resamples the image trilinearly with aligned corners", "[prep]") {
  // A ramp 10 z + y (constant along x): (2, 3, 4) at (3.2, 2.4, 3.0) mm → (4, 6, 10) at
  // (1.6, 1.2, 1.2). With align_corners the source coordinate is dst * (in - 1) / (out - 1), so
  // output (z, y, x) holds 10 z / 3 + 2 y / 5.
  const auto image =
      volume({2, 3, 4}, {3.2, 2.4, 3.0}, [](int z, int y, int) { return 10 * z + y; });
  const auto label = volume({2, 3, 4}, {3.2, 2.4, 3.0}, [](int, int, int) { return 0; });
  const auto result = preprocess_kits19_case(image, label, no_padding(), "case_00007");
  using Shape = std::array<std::size_t, 3>;
  REQUIRE(result.image.shape() == Shape{4, 6, 10});
  const auto& out = result.image;
  for (int z = 0; z < 4; ++z)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 10; ++x) {
        INFO("voxel " << z << "," << y << "," << x);
        CHECK(out(z, y, x) == Approx(normalised(10.0f * z / 3 + 2.0f * y / 5)).margin(1e-5));
      }
}

TEST_CASE("preprocessing maps labels with legacy nearest (floor(dst * in / out))", "[prep]") {
  const auto image = volume({2, 3, 4}, {3.2, 2.4, 3.0}, [](int, int, int) { return 0; });
  const auto label =
      volume({2, 3, 4}, {3.2, 2.4, 3.0}, [](int z, int y, int x) { return (z + y + x) % 3; });
  const auto result = preprocess_kits19_case(image, label, no_padding(), "case_00007");
  REQUIRE(result.label.shape() == std::array<std::size_t, 3>{4, 6, 10});
  // x: 4 → 10, scale 0.4: floor(0.4 x) for x = 0..9
  const int source_x[10] = {0, 0, 0, 1, 1, 2, 2, 2, 3, 3};
  const auto& out = result.label;
  for (int z = 0; z < 4; ++z)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 10; ++x) {
        INFO("voxel " << z << "," << y << "," << x);
        CHECK(out(z, y, x) == (z / 2 + y / 2 + source_x[x]) % 3);
      }
}

TEST_CASE("preprocessing clips to [-79, 304] then normalises with 101 / 76.9", "[prep]") {
  const std::vector<float> hu{-1000.f, -79.f, 0.f, 101.f, 304.f, 1000.f};
  NiftiVolume image;
  image.shape = {1, 2, 3};
  image.spacing = {1.6, 1.2, 1.2};  // the target: no resampling
  image.data = hu;
  NiftiVolume label = image;
  label.data.assign(6, 1.f);
  const auto result = preprocess_kits19_case(image, label, no_padding());
  REQUIRE(result.image.shape() == std::array<std::size_t, 3>{1, 2, 3});
  const float* out = result.image.data();
  CHECK(out[0] == Approx(-180.0 / 76.9).epsilon(1e-6));
  CHECK(out[1] == out[0]);
  CHECK(out[2] == Approx(-101.0 / 76.9).epsilon(1e-6));
  CHECK(out[3] == 0.0f);
  CHECK(out[4] == Approx(203.0 / 76.9).epsilon(1e-6));
  CHECK(out[5] == out[4]);
}

TEST_CASE("preprocessing edge-pads short axes to min_shape, floor(d/2) before", "[prep]") {
  // (3, 5, 6) → (8, 8, 8): D gets 2 before and 3 after, H 1 and 2, W 1 and 1.
  const auto value = [](int z, int y, int x) { return z * 30 + y * 5 + x - 50; };
  const auto image = volume({3, 5, 6}, {1.6, 1.2, 1.2}, value);
  const auto label = volume({3, 5, 6}, {1.6, 1.2, 1.2},
                            [](int z, int y, int x) { return (z * 7 + y * 3 + x) % 3; });
  Kits19PreprocessOptions options;
  options.min_shape = 8;
  const auto result = preprocess_kits19_case(image, label, options);
  using Shape = std::array<std::size_t, 3>;
  REQUIRE(result.image.shape() == Shape{8, 8, 8});
  REQUIRE(result.label.shape() == Shape{8, 8, 8});
  const auto& img = result.image;
  const auto& lab = result.label;
  for (int z = 0; z < 8; ++z)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        const int sz = std::clamp(z - 2, 0, 2), sy = std::clamp(y - 1, 0, 4),
                  sx = std::clamp(x - 1, 0, 5);
        INFO("voxel " << z << "," << y << "," << x);
        CHECK(img(z, y, x) == normalised(static_cast<float>(value(sz, sy, sx))));
        CHECK(lab(z, y, x) == (sz * 7 + sy * 3 + sx) % 3);
      }
  // Axes already long enough are left alone.
  options.min_shape = 4;
  CHECK(preprocess_kits19_case(image, label, options).image.shape() == Shape{4, 5, 6});
}

TEST_CASE("preprocessing rejects image/label disagreements naming the case", "[prep]") {
  const auto image = volume({2, 3, 4}, {1.6, 1.2, 1.2}, [](int, int, int) { return 0; });
  SECTION("shape") {
    const auto label = volume({2, 3, 5}, {1.6, 1.2, 1.2}, [](int, int, int) { return 0; });
    REQUIRE_THROWS_AS(preprocess_kits19_case(image, label, {}, "case_00012"), DataError);
    REQUIRE_THROWS_WITH(preprocess_kits19_case(image, label, {}, "case_00012"),
                        Catch::Contains("case_00012") && Catch::Contains("label shape (2, 3, 5)") &&
                            Catch::Contains("image shape (2, 3, 4)"));
  }
  SECTION("spacing") {
    const auto label = volume({2, 3, 4}, {1.6, 1.2, 2.5}, [](int, int, int) { return 0; });
    REQUIRE_THROWS_WITH(
        preprocess_kits19_case(image, label, {}, "case_00013"),
        Catch::Contains("case_00013") && Catch::Contains("label spacing (1.6, 1.2, 2.5)"));
  }
  SECTION("4-D") {
    auto image4 = image;
    image4.shape = {2, 3, 2, 2};
    REQUIRE_THROWS_WITH(preprocess_kits19_case(image4, image4, {}, "case_00014"),
                        Catch::Contains("case_00014") && Catch::Contains("expected a 3-D image"));
  }
}
