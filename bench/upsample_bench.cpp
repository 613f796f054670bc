// ConvTranspose3d (kernel = stride = 2) vs segbench's 1x1x1-conv + depth-to-space fast path,
// forward + backward, same parameters. Prints seconds per iteration and the ratio measured in
// the same run. Usage: upsample_bench [C_in C_out SIZE BATCH ITERS THREADS]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <functional>

#include "segbench/models/fast_upsample.hpp"

namespace {

double time_per_iteration(const std::function<at::Tensor()>& run, int iterations) {
  run().sum().backward();  // warm-up: oneDNN primitive creation, allocations
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) run().sum().backward();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
         iterations;
}

}  // namespace

int main(int argc, char** argv) {
  const auto arg = [&](int i, int64_t fallback) {
    return argc > i ? std::atoll(argv[i]) : fallback;
  };
  const int64_t c_in = arg(1, 64), c_out = arg(2, 32), size = arg(3, 32), batch = arg(4, 2);
  const int iterations = static_cast<int>(arg(5, 5));
  at::set_num_threads(static_cast<int>(arg(6, 2)));
  at::manual_seed(0);
  const at::Tensor x = at::randn({batch, c_in, size, size, size}).requires_grad_(true);
  const at::Tensor w = (at::randn({c_in, c_out, 2, 2, 2}) * 0.05).requires_grad_(true);
  const at::Tensor b = at::randn({c_out}).requires_grad_(true);

  const double transposed =
      time_per_iteration([&] { return at::conv_transpose3d(x, w, b, /*stride=*/2); }, iterations);
  const double fast = time_per_iteration(
      [&] { return segbench::conv_transpose3d_k2s2_as_conv(x, w, b); }, iterations);
  const double max_diff =
      (at::conv_transpose3d(x, w, b, 2) - segbench::conv_transpose3d_k2s2_as_conv(x, w, b))
          .abs()
          .max()
          .item<double>();
  fmt::print("upsample {}->{} ch, {}^3 -> {}^3, batch {}, {} threads, forward+backward\n", c_in,
             c_out, size, 2 * size, batch, at::get_num_threads());
  fmt::print("  ConvTranspose3d : {:.4f} s/iter\n", transposed);
  fmt::print("  fast path       : {:.4f} s/iter\n", fast);
  fmt::print("  speed-up        : {:.2f}x   (max |difference| {:.2e})\n", transposed / fast,
             max_diff);
  return 0;
}
