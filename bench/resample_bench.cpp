// KiTS19 resampling: the light tier's xtensor kernels (prep/volume_resampling.hpp) against the
// ATen kernels they reproduce, on one volume of a KiTS19-like size. Prints seconds (best of the
// repeats), the ratio measured in the same run and the largest difference.
// Usage: resample_bench [D H W  OUT_D OUT_H OUT_W  REPEATS  ATEN_THREADS]
// (default: a 128 x 256 x 256 volume at 2.5 x 0.8 x 0.8 mm to 1.6 x 1.2 x 1.2 mm: 200 x 170 x 170)
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>

#include "segbench/prep/volume_resampling.hpp"

namespace {

double best_seconds(const std::function<void()>& run, int repeats) {
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace segbench::prep;
  const auto arg = [&](int i, std::size_t fallback) {
    return argc > i ? static_cast<std::size_t>(std::atoll(argv[i])) : fallback;
  };
  const Shape3 in{arg(1, 128), arg(2, 256), arg(3, 256)};
  const Shape3 out{arg(4, 200), arg(5, 170), arg(6, 170)};
  const int repeats = static_cast<int>(arg(7, 3));
  at::set_num_threads(static_cast<int>(arg(8, 1)));

  std::mt19937 gen(1);
  std::uniform_real_distribution<float> hu(-1024.0f, 3071.0f);
  xt::xtensor<float, 3> image = xt::empty<float>(in);
  for (float& v : image) v = hu(gen);
  xt::xtensor<std::uint8_t, 3> label = xt::empty<std::uint8_t>(in);
  for (auto& v : label) v = static_cast<std::uint8_t>(gen() % 3);
  const std::vector<std::int64_t> size{static_cast<std::int64_t>(out[0]),
                                       static_cast<std::int64_t>(out[1]),
                                       static_cast<std::int64_t>(out[2])};
  const std::vector<std::int64_t> in5{1, 1, static_cast<std::int64_t>(in[0]),
                                      static_cast<std::int64_t>(in[1]),
                                      static_cast<std::int64_t>(in[2])};
  const at::Tensor image_t = at::from_blob(image.data(), in5, at::kFloat);
  const at::Tensor label_t = at::from_blob(label.data(), in5, at::kByte);

  fmt::print("resample {}x{}x{} -> {}x{}x{}, best of {}, ATen threads {}, LibTorch {}\n", in[0],
             in[1], in[2], out[0], out[1], out[2], repeats, at::get_num_threads(), TORCH_VERSION);
  at::Tensor aten_image, aten_label;
  const double aten_linear = best_seconds(
      [&] { aten_image = at::upsample_trilinear3d(image_t, size, /*align_corners=*/true); },
      repeats);
  const double aten_nearest =
      best_seconds([&] { aten_label = at::upsample_nearest3d(label_t, size); }, repeats);
  for (const auto arithmetic : {InterpolationArithmetic::aten1, InterpolationArithmetic::aten2}) {
    xt::xtensor<float, 3> ours;
    const double seconds = best_seconds(
        [&] { ours = resample_trilinear_align_corners(image, out, arithmetic); }, repeats);
    const float* theirs = aten_image.contiguous().data_ptr<float>();
    double max_diff = 0.0;
    for (std::size_t i = 0; i < ours.size(); ++i)
      max_diff = std::max(max_diff, std::abs(static_cast<double>(ours.data()[i]) - theirs[i]));
    fmt::print(
        "  trilinear  ATen {:.3f} s   xtensor ({}) {:.3f} s   ATen / xtensor {:.2f}x   "
        "max |difference| {:.3g} HU\n",
        aten_linear, arithmetic == InterpolationArithmetic::aten1 ? "aten1" : "aten2", seconds,
        aten_linear / seconds, max_diff);
  }
  xt::xtensor<std::uint8_t, 3> ours_label;
  const double nearest =
      best_seconds([&] { ours_label = resample_nearest_legacy(label, out); }, repeats);
  const bool equal = std::equal(ours_label.begin(), ours_label.end(),
                                aten_label.contiguous().data_ptr<std::uint8_t>());
  fmt::print("  nearest    ATen {:.3f} s   xtensor {:.3f} s   ATen / xtensor {:.2f}x   labels {}\n",
             aten_nearest, nearest, aten_nearest / nearest, equal ? "equal" : "DIFFER");
  return equal ? 0 : 1;
}
