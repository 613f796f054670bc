#include "segbench/prep/volume_resampling.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace segbench::prep;

namespace {

xt::xtensor<float, 3> random_volume(const Shape3& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> hu(-1024.0f, 3071.0f);
  xt::xtensor<float, 3> v = xt::empty<float>(shape);
  for (float& x : v) x = hu(gen);
  return v;
}

/// The definitions, voxel by voxel: PyTorch 1.x sums the eight corners in double with float
/// weight products (w_d * w_h) * w_w; 2.x nests per axis in float, W innermost, each step
/// fma(t0, w0, t1 * w1). The fast paths
/// (one pass over rows; planes with a two-plane cache) must reproduce them bit for bit.
xt::xtensor<float, 3> trilinear_by_definition(const xt::xtensor<float, 3>& in, const Shape3& out,
                                              InterpolationArithmetic arithmetic) {
  const auto td = linear_taps_align_corners(in.shape()[0], out[0], arithmetic);
  const auto th = linear_taps_align_corners(in.shape()[1], out[1], arithmetic);
  const auto tw = linear_taps_align_corners(in.shape()[2], out[2], arithmetic);
  const auto tap = [](const LinearTaps& t, std::size_t i, int k) {
    return std::pair{k == 0 ? t.index0[i] : t.index1[i], k == 0 ? t.weight0[i] : t.weight1[i]};
  };
  xt::xtensor<float, 3> r = xt::empty<float>(out);
  for (std::size_t d = 0; d < out[0]; ++d)
    for (std::size_t h = 0; h < out[1]; ++h)
      for (std::size_t w = 0; w < out[2]; ++w) {
        if (arithmetic == InterpolationArithmetic::aten1) {
          double sum = 0.0;
          for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j)
              for (int k = 0; k < 2; ++k) {
                const auto [z, wz] = tap(td, d, i);
                const auto [y, wy] = tap(th, h, j);
                const auto [x, wx] = tap(tw, w, k);
                const float weight = (wz * wy) * wx;
                sum += static_cast<double>(weight) * in(z, y, x);
              }
          r(d, h, w) = static_cast<float>(sum);
        } else {
          const auto along_w = [&](std::size_t z, std::size_t y) {
            return std::fma(in(z, y, tw.index0[w]), tw.weight0[w],
                            in(z, y, tw.index1[w]) * tw.weight1[w]);
          };
          const auto along_h = [&](std::size_t z) {
            return std::fma(along_w(z, th.index0[h]), th.weight0[h],
                            along_w(z, th.index1[h]) * th.weight1[h]);
          };
          r(d, h, w) =
              std::fma(along_h(td.index0[d]), td.weight0[d], along_h(td.index1[d]) * td.weight1[d]);
        }
      }
  return r;
}

}  // namespace

TEST_CASE("linear taps with aligned corners: source i * (in - 1) / (out - 1)", "[prep]") {
  const auto arithmetic = GENERATE(InterpolationArithmetic::aten1, InterpolationArithmetic::aten2);
  const auto up = linear_taps_align_corners(3, 5, arithmetic);  // sources 0, 0.5, 1, 1.5, 2
  CHECK(up.index0 == std::vector<std::size_t>{0, 0, 1, 1, 2});
  CHECK(up.index1 == std::vector<std::size_t>{1, 1, 2, 2, 2});  // the last one stays in range
  CHECK(up.weight1 == std::vector<float>{0.0f, 0.5f, 0.0f, 0.5f, 0.0f});
  CHECK(up.weight0 == std::vector<float>{1.0f, 0.5f, 1.0f, 0.5f, 1.0f});
  const auto one = linear_taps_align_corners(7, 1, arithmetic);  // scale 0: the first voxel
  CHECK(one.index0 == std::vector<std::size_t>{0});
  CHECK(one.weight0 == std::vector<float>{1.0f});
  const auto same = linear_taps_align_corners(4, 4, arithmetic);
  CHECK(same.index1 == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(same.weight1 == std::vector<float>(4, 0.0f));
}

TEST_CASE("PyTorch 1.x takes the source coordinate in double, 2.x in float", "[prep]") {
  // 100 -> 77: scale float(99) / 76; at i = 61 the float product rounds differently.
  const auto one = linear_taps_align_corners(100, 77, InterpolationArithmetic::aten1);
  const auto two = linear_taps_align_corners(100, 77, InterpolationArithmetic::aten2);
  const float scale = 99.0f / 76.0f;
  std::size_t differing = 0;
  for (std::size_t i = 0; i < 77; ++i) {
    const double exact1 = static_cast<double>(scale) * static_cast<double>(i);
    CHECK(one.weight1[i] == static_cast<float>(exact1 - std::floor(exact1)));
    const float source2 = scale * static_cast<float>(i);
    CHECK(two.weight1[i] == source2 - std::floor(source2));
    differing += one.weight1[i] != two.weight1[i] ? 1 : 0;
  }
  CHECK(differing > 0);
}

TEST_CASE("legacy nearest indices: floor(i * in / out), exact for kept and doubled sizes",
          "[prep]") {
  CHECK(nearest_legacy_indices(4, 10) == std::vector<std::size_t>{0, 0, 0, 1, 1, 2, 2, 2, 3, 3});
  CHECK(nearest_legacy_indices(3, 6) == std::vector<std::size_t>{0, 0, 1, 1, 2, 2});
  CHECK(nearest_legacy_indices(10, 4) == std::vector<std::size_t>{0, 2, 5, 7});
  CHECK(nearest_legacy_indices(5, 5) == std::vector<std::size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("trilinear resampling equals its voxel-by-voxel definition bit for bit", "[prep]") {
  // Up and down on every axis, a kept axis, a single output slice, and D factors that make the
  // two-plane cache skip input slabs (downsampling) or reuse them (upsampling).
  const std::vector<std::pair<Shape3, Shape3>> cases = {{{9, 11, 13}, {23, 7, 13}},
                                                        {{31, 8, 6}, {5, 12, 9}},
                                                        {{4, 5, 6}, {1, 5, 11}},
                                                        {{2, 3, 4}, {4, 6, 10}},
                                                        {{17, 1, 3}, {17, 4, 1}}};
  const auto arithmetic = GENERATE(InterpolationArithmetic::aten1, InterpolationArithmetic::aten2);
  unsigned seed = 1;
  for (const auto& [in_shape, out_shape] : cases) {
    const auto in = random_volume(in_shape, seed++);
    const auto expected = trilinear_by_definition(in, out_shape, arithmetic);
    const auto got = resample_trilinear_align_corners(in, out_shape, arithmetic);
    REQUIRE(got.shape() == expected.shape());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
      differing += got.data()[i] != expected.data()[i] ? 1 : 0;
    INFO("in " << in_shape[0] << "x" << in_shape[1] << "x" << in_shape[2]);
    CHECK(differing == 0);
  }
}

TEST_CASE("nearest resampling gathers labels with the legacy indices", "[prep]") {
  xt::xtensor<std::uint8_t, 3> labels = xt::empty<std::uint8_t>({3, 4, 5});
  for (std::size_t i = 0; i < labels.size(); ++i) labels.data()[i] = static_cast<std::uint8_t>(i);
  const Shape3 out{7, 2, 5};
  const auto got = resample_nearest_legacy(labels, out);
  const auto d = nearest_legacy_indices(3, 7), h = nearest_legacy_indices(4, 2);
  for (std::size_t z = 0; z < 7; ++z)
    for (std::size_t y = 0; y < 2; ++y)
      for (std::size_t x = 0; x < 5; ++x) CHECK(got(z, y, x) == labels(d[z], h[y], x));
}

TEST_CASE("edge padding repeats the border slices, corners included", "[prep]") {
  xt::xtensor<float, 3> v = xt::empty<float>({2, 3, 2});
  for (std::size_t i = 0; i < v.size(); ++i) v.data()[i] = static_cast<float>(i);
  const Shape3 before{1, 0, 2}, after{2, 1, 0};
  const auto padded = pad_edge(v, before, after);
  REQUIRE(padded.shape() == Shape3{5, 4, 4});
  for (std::size_t z = 0; z < 5; ++z)
    for (std::size_t y = 0; y < 4; ++y)
      for (std::size_t x = 0; x < 4; ++x) {
        const std::size_t sz = std::min<std::size_t>(z < 1 ? 0 : z - 1, 1);
        const std::size_t sy = std::min<std::size_t>(y, 2);
        const std::size_t sx = x < 2 ? 0 : x - 2;
        INFO(z << "," << y << "," << x);
        CHECK(padded(z, y, x) == v(sz, sy, sx));
      }
  const bool unchanged = pad_edge(v, Shape3{}, Shape3{}) == v;
  CHECK(unchanged);
}
