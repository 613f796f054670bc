// One training step of segbench's networks, timed: zero_grad, forward, loss, backward, optimiser
// step, on random inputs at the shapes of bench/baseline/step.py, its Python twin (same presets,
// same optimiser settings, same JSON fields), so that bench/tools/step_compare.py can time both
// back to back on the same LibTorch.
// Usage: model_step_bench MODEL PRESET STEPS THREADS [fast|transposed]
//   MODEL unet3d | deepcam | unet2d; PRESET issue | small | tiny; the last argument picks the
//   U-Nets' up-sampling path (default: the models' own default).
// With SEGBENCH_PROFILE=FILE one more step runs under ATen's profiler and its Chrome trace is
// written to FILE (compare with step.py's: bench/tools/profile_compare.py).
// SEGBENCH_BENCH_INJECT_SLEEP_MS=N sleeps N ms in every step: a deliberately slowed build, to
// show that ./run.sh regress catches a slower step.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/profiler_legacy.h>
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
#include <thread>
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

enum class Preset { issue, small, tiny };

Bench unet3d(Preset preset, std::optional<bool> fast_upsample) {
  const std::vector<int64_t> filters =
      preset == Preset::tiny    ? std::vector<int64_t>{4, 8, 8, 16, 16}
      : preset == Preset::small ? std::vector<int64_t>{8, 16, 32, 64, 128}
                                : std::vector<int64_t>{32, 64, 128, 256, 320};
  const int64_t batch = preset == Preset::issue ? 2 : 1, size = 64;
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

Bench deepcam(Preset preset) {
  const double width = preset == Preset::tiny ? 0.0625 : preset == Preset::small ? 0.25 : 1.0;
  const int64_t height = preset == Preset::tiny ? 32 : preset == Preset::small ? 96 : 192;
  const int64_t image_width = height * 3 / 2;
  segbench::DeepLabV3Plus model(segbench::DeepLabV3PlusOptions{.width = width});
  auto adam = std::make_unique<torch::optim::Adam>(
      model->parameters(),
      torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-6).weight_decay(1e-6));
  const at::Tensor x = at::rand({1, 16, height, image_width});
  const at::Tensor y = at::randint(0, 3, {1, height, image_width});
  return {model.ptr(), std::move(adam),
          [model, x, y]() mutable { return segbench::deepcam_ce_loss(model->forward(x), y); }};
}

Bench unet2d(Preset preset, std::optional<bool> fast_upsample) {
  const int64_t batch = preset == Preset::tiny ? 2 : preset == Preset::small ? 4 : 16;
  const int64_t h = preset == Preset::tiny ? 16 : preset == Preset::small ? 64 : 192;
  const int64_t w = preset == Preset::tiny ? 16 : preset == Preset::small ? 64 : 160;
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
             "usage: model_step_bench unet3d|deepcam|unet2d issue|small|tiny STEPS THREADS "
             "[fast|transposed]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || argc > 6) return usage();
  const std::string model = argv[1], preset_name = argv[2];
  const int steps = std::atoi(argv[3]), threads = std::atoi(argv[4]);
  std::optional<bool> fast_upsample;
  std::string upsample = "default";
  if (argc == 6) {
    upsample = argv[5];
    if (upsample != "fast" && upsample != "transposed") return usage();
    fast_upsample = upsample == "fast";
  }
  if ((preset_name != "issue" && preset_name != "small" && preset_name != "tiny") || steps < 1 ||
      threads < 1) {
    return usage();
  }
  const Preset preset = preset_name == "tiny"    ? Preset::tiny
                        : preset_name == "small" ? Preset::small
                                                 : Preset::issue;
  // A deliberately slowed build for checking the regression gate: sleep this long in every step.
  const char* inject = std::getenv("SEGBENCH_BENCH_INJECT_SLEEP_MS");
  const int inject_ms = inject != nullptr ? std::atoi(inject) : 0;
  at::set_num_threads(threads);
  torch::manual_seed(0);
  Bench bench;
  if (model == "unet3d") {
    bench = unet3d(preset, fast_upsample);
  } else if (model == "deepcam") {
    bench = deepcam(preset);
  } else if (model == "unet2d") {
    bench = unet2d(preset, fast_upsample);
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
    if (inject_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(inject_ms));
    // The first step creates oneDNN primitives and allocations: warm-up, not timed.
    if (i > 0) {
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  if (const char* trace = std::getenv("SEGBENCH_PROFILE")) {
    torch::autograd::profiler::RecordProfile profile(trace);
    bench.optimizer->zero_grad();
    bench.loss().backward();
    bench.optimizer->step();
  }
  fmt::print(
      "{{\"impl\": \"segbench\", \"model\": \"{}\", \"preset\": \"{}\", \"threads\": {}, "
      "\"params\": {}, \"torch\": \"{}\", \"upsample\": \"{}\", \"loss\": {}, \"step_s\": [{}]}}\n",
      model, preset_name, threads, segbench::count_parameters(*bench.model), TORCH_VERSION,
      upsample, loss, fmt::join(times, ", "));
  return 0;
}
