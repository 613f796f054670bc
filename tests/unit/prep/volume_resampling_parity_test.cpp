// The light tier's resampling against the ATen kernels it replaces (docs/reference/light-tier.md):
// images and labels bit for bit (1.13 and 2.11 measured; 2.x's kernel fuses multiply-adds, which
// the 2.x arithmetic reproduces with fma).
#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "segbench/prep/volume_resampling.hpp"
#include "segbench/version.hpp"

using namespace segbench::prep;

namespace {

at::Tensor as_ncdhw(const float* data, const Shape3& s) {
  return at::from_blob(const_cast<float*>(data),
                       {1, 1, static_cast<std::int64_t>(s[0]), static_cast<std::int64_t>(s[1]),
                        static_cast<std::int64_t>(s[2])},
                       at::kFloat)
      .clone();
}

std::vector<std::int64_t> sizes_of(const Shape3& s) {
  return {static_cast<std::int64_t>(s[0]), static_cast<std::int64_t>(s[1]),
          static_cast<std::int64_t>(s[2])};
}

}  // namespace

TEST_CASE("xtensor resampling matches at::upsample_trilinear3d and upsample_nearest3d", "[prep]") {
  // KiTS19-like factors (thick slices up, fine in-plane down) and odd small shapes.
  const std::vector<std::pair<Shape3, Shape3>> cases = {{{24, 64, 64}, {37, 41, 41}},
                                                        {{13, 50, 47}, {40, 32, 30}},
                                                        {{30, 20, 10}, {7, 33, 10}},
                                                        {{5, 6, 7}, {1, 12, 3}},
                                                        {{64, 40, 40}, {96, 26, 26}}};
  // The linked LibTorch's release decides which arithmetic it uses.
  const auto arithmetic = std::string(SEGBENCH_TORCH_VERSION).starts_with("1.")
                              ? InterpolationArithmetic::aten1
                              : InterpolationArithmetic::aten2;
  for (const int threads : {1, 2}) {
    at::set_num_threads(threads);
    unsigned seed = 7;
    for (const auto& [in_shape, out_shape] : cases) {
      INFO("threads " << threads << ", in " << in_shape[0] << "x" << in_shape[1] << "x"
                      << in_shape[2] << " -> " << out_shape[0] << "x" << out_shape[1] << "x"
                      << out_shape[2]);
      std::mt19937 gen(seed++);
      std::uniform_real_distribution<float> hu(-1024.0f, 3071.0f);
      xt::xtensor<float, 3> image = xt::empty<float>(in_shape);
      for (float& v : image) v = hu(gen);
      xt::xtensor<std::uint8_t, 3> label = xt::empty<std::uint8_t>(in_shape);
      for (auto& v : label) v = static_cast<std::uint8_t>(gen() % 3);

      const auto ours = resample_trilinear_align_corners(image, out_shape, arithmetic);
      const at::Tensor aten =
          at::upsample_trilinear3d(as_ncdhw(image.data(), in_shape), sizes_of(out_shape),
                                   /*align_corners=*/true)
              .contiguous();
      const float* theirs = aten.data_ptr<float>();
      REQUIRE(static_cast<std::size_t>(aten.numel()) == ours.size());
      double max_hu = 0.0, max_normalised = 0.0;
      for (std::size_t i = 0; i < ours.size(); ++i) {
        max_hu = std::max(max_hu, std::abs(static_cast<double>(ours.data()[i]) - theirs[i]));
        const auto normalise = [](float x) {
          return (std::min(std::max(x, -79.0f), 304.0f) - 101.0f) / 76.9f;
        };
        max_normalised = std::max(
            max_normalised,
            std::abs(static_cast<double>(normalise(ours.data()[i])) - normalise(theirs[i])));
      }
      INFO("max |difference|: " << max_hu << " HU, " << max_normalised << " normalised");
      CHECK(max_normalised <= 1e-6);
      CHECK(max_hu == 0.0);  // bit for bit

      const auto ours_label = resample_nearest_legacy(label, out_shape);
      const at::Tensor label_t = at::from_blob(
          label.data(),
          {1, 1, static_cast<std::int64_t>(in_shape[0]), static_cast<std::int64_t>(in_shape[1]),
           static_cast<std::int64_t>(in_shape[2])},
          at::kByte);
      const at::Tensor aten_label =
          at::upsample_nearest3d(label_t, sizes_of(out_shape)).contiguous();
      CHECK(std::equal(ours_label.begin(), ours_label.end(), aten_label.data_ptr<std::uint8_t>()));
    }
  }
  at::set_num_threads(1);
}
