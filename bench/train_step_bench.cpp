// Training-step throughput of the 3D U-Net (forward + Dice/CE loss + backward + SGD step).
// Prints s/step and samples/s for the fast and the ConvTranspose3d up-sampling paths,
// measured in the same run. Usage: train_step_bench [SIZE BATCH STEPS THREADS FILTERS...]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>
#include <vector>

#include "segbench/losses/dice_ce.hpp"
#include "segbench/models/unet3d.hpp"

namespace {

double seconds_per_step(bool fast_upsample, const std::vector<int64_t>& filters,
                        const at::Tensor& x, const at::Tensor& y, int steps) {
  torch::manual_seed(0);
  segbench::Unet3D model(
      segbench::Unet3DOptions{.filters = filters, .fast_upsample = fast_upsample});
  torch::optim::SGD sgd(model->parameters(),
                        torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true));
  const auto step = [&] {
    sgd.zero_grad();
    segbench::dice_ce_loss(model->forward(x), y).backward();
    sgd.step();
  };
  step();  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t size = argc > 1 ? std::atoll(argv[1]) : 64;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 2;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 3;
  at::set_num_threads(argc > 4 ? std::atoi(argv[4]) : 2);
  std::vector<int64_t> filters;
  for (int i = 5; i < argc; ++i) filters.push_back(std::atoll(argv[i]));
  if (filters.empty()) filters = {8, 16, 32, 64};
  at::manual_seed(1);
  const at::Tensor x = at::randn({batch, 1, size, size, size});
  const at::Tensor y = at::randint(0, 3, {batch, 1, size, size, size}).to(at::kByte);
  fmt::print("unet3d filters {}, input {}x1x{}^3, {} threads, {} timed steps\n", filters, batch,
             size, at::get_num_threads(), steps);
  const double fast = seconds_per_step(true, filters, x, y, steps);
  const double transposed = seconds_per_step(false, filters, x, y, steps);
  fmt::print("  fast up-sampling     : {:.3f} s/step, {:.2f} samples/s\n", fast, batch / fast);
  fmt::print("  ConvTranspose3d      : {:.3f} s/step, {:.2f} samples/s\n", transposed,
             batch / transposed);
  fmt::print("  speed-up             : {:.2f}x\n", transposed / fast);
  return 0;
}
