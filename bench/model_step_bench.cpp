// One training step of segbench's networks, timed: zero_grad, forward, loss, backward, optimiser
// step, on random inputs at the shapes of bench/baseline/step.py, its Python twin (same presets,
// same optimiser settings, same JSON fields), so that bench/tools/step_compare.py can time both
// back to back on the same LibTorch.
// Usage: model_step_bench MODEL PRESET STEPS THREADS [fast|transposed]
//   MODEL unet3d | deepcam | unet2d; PRESET issue | tiny; the last argument picks the U-Nets'
//   up-sampling path (default: the models' own default).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/models/unet3d.hpp"

namespace {

struct Bench {
  std::shared_ptr<torch::nn::Module> model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::function<at::Tensor()> loss;
};

Bench unet3d(bool tiny, std::optional<bool> fast_upsample) {
  const std::vector<int64_t> filters =
      tiny ? std::vector<int64_t>{4, 8, 8, 16, 16} : std::vector<int64_t>{32, 64, 128, 256, 320};
  const int64_t batch = tiny ? 1 : 2, size = 64;
  segbench::Unet3DOptions options{.filters = filters};
  if (fast_upsample) options.fast_upsample = *fast_upsample;
  segbench::Unet3D model(options);
  auto sgd = std::make_unique<torch::optim::SGD>(
      model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true));
  const at::Tensor x = at::randn({batch, 1, size, size, size});
  const at::Tensor y = at::randint(0, 3, {batch, 1, size, size, size}).to(at::kByte);
  return {model.ptr(), std::move(sgd),
          [model, x, y]() mutable { return segbench::dice_ce_loss(model->forward(x), y); }};
}

Bench deepcam(bool tiny) {
  const double width = tiny ? 0.0625 : 1.0;
  const int64_t height = tiny ? 32 : 192, image_width = tiny ? 48 : 288;
  segbench::DeepLabV3Plus model(segbench::DeepLabV3PlusOptions{.width = width});
  auto adam = std::make_unique<torch::optim::Adam>(
      model->parameters(),
      torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-6).weight_decay(1e-6));
  const at::Tensor x = at::rand({1, 16, height, image_width});
  const at::Tensor y = at::randint(0, 3, {1, height, image_width});
  return {model.ptr(), std::move(adam),
          [model, x, y]() mutable { return segbench::deepcam_ce_loss(model->forward(x), y); }};
}

Bench unet2d(bool tiny, std::optional<bool> fast_upsample) {
  const int64_t batch = tiny ? 2 : 16, h = tiny ? 16 : 192, w = tiny ? 16 : 160;
  segbench::Unet2DOptions options;
  options.patch = {h, w};
  if (fast_upsample) options.fast_upsample = *fast_upsample;
  segbench::Unet2D model(options);
  auto adamw = std::make_unique<torch::optim::AdamW>(
      model->parameters(),
      torch::optim::AdamWOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(1e-4));
  const at::Tensor x = at::randn({batch, 4, h, w});
  const at::Tensor y = at::randint(0, 4, {batch, 1, h, w}).to(at::kByte);
  return {model.ptr(), std::move(adamw), [model, x, y]() mutable {
            return segbench::nnunet_deep_supervision_loss(model->forward_all(x), y);
          }};
}

int usage() {
  fmt::print(stderr,
             "usage: model_step_bench unet3d|deepcam|unet2d issue|tiny STEPS THREADS "
             "[fast|transposed]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || argc > 6) return usage();
  const std::string model = argv[1], preset = argv[2];
  const int steps = std::atoi(argv[3]), threads = std::atoi(argv[4]);
  std::optional<bool> fast_upsample;
  std::string upsample = "default";
  if (argc == 6) {
    upsample = argv[5];
    if (upsample != "fast" && upsample != "transposed") return usage();
    fast_upsample = upsample == "fast";
  }
  if ((preset != "issue" && preset != "tiny") || steps < 1 || threads < 1) return usage();
  const bool tiny = preset == "tiny";
  at::set_num_threads(threads);
  torch::manual_seed(0);
  Bench bench;
  if (model == "unet3d") {
    bench = unet3d(tiny, fast_upsample);
  } else if (model == "deepcam") {
    bench = deepcam(tiny);
  } else if (model == "unet2d") {
    bench = unet2d(tiny, fast_upsample);
  } else {
    return usage();
  }
  bench.model->train();
  std::vector<double> times;
  double loss = 0.0;
  for (int i = 0; i <= steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    bench.optimizer->zero_grad();
    const at::Tensor value = bench.loss();
    value.backward();
    bench.optimizer->step();
    loss = value.item<double>();
    // The first step creates oneDNN primitives and allocations: warm-up, not timed.
    if (i > 0) {
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  fmt::print(
      "{{\"impl\": \"segbench\", \"model\": \"{}\", \"preset\": \"{}\", \"threads\": {}, "
      "\"params\": {}, \"torch\": \"{}\", \"upsample\": \"{}\", \"loss\": {}, \"step_s\": [{}]}}\n",
      model, preset, threads, segbench::count_parameters(*bench.model), TORCH_VERSION, upsample,
      loss, fmt::join(times, ", "));
  return 0;
}
