// Training-step throughput of the three benchmark models on a device (CUDA or CPU), in fp32 and
// bf16 autocast, at the reference shapes or a given scale: 3D U-Net (batch × 1×S³, Dice+CE,
// SGD), DeepCAM DeepLabv3+ (batch × 16×H×W, weighted CE, Adam), nnU-Net 2D (batch × 4×192×160,
// deep supervision, AdamW). Prints s/step and samples/s per model and precision, and the
// bf16/fp32 ratio measured in the same run.
// Usage: gpu_step_bench DEVICE [SCALE STEPS]   (SCALE 1 = reference shapes; 0.25 for a smoke run)
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/core.h>
#include <torch/cuda.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

#include "segbench/detail/torch_compat.hpp"
#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/run/device.hpp"

namespace {

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// Seconds per step after two warm-up steps; `step` runs forward, loss, backward, optimizer.
double seconds_per_step(const c10::Device& device, int steps, const std::function<void()>& step) {
  for (int i = 0; i < 2; ++i) step();
  synchronize(device);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  synchronize(device);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
}

int64_t scaled(int64_t n, double scale, int64_t multiple) {
  return std::max(multiple, static_cast<int64_t>(n * scale) / multiple * multiple);
}

void report(const char* model, const std::string& shape, int64_t batch, double fp32, double bf16) {
  fmt::print(
      "{:<10} {:<22} fp32 {:8.4f} s/step {:9.2f} samples/s | bf16 {:8.4f} s/step {:9.2f} "
      "samples/s | bf16 speed-up {:.2f}x\n",
      model, shape, fp32, batch / fp32, bf16, batch / bf16, fp32 / bf16);
}

}  // namespace

int run(int argc, char** argv) {
  using namespace segbench;
  const c10::Device device = resolve_device(argc > 1 ? argv[1] : "auto", 0);
  const double scale = argc > 2 ? std::atof(argv[2]) : 1.0;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 10;
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  fmt::print("device {} scale {} steps {}\n", device.str(), scale, steps);
  const auto with_precision = [&](bool bf16, const std::function<void()>& step) {
    return [=] {
      segbench::detail::set_autocast(device.type(), bf16);
      step();
      segbench::detail::set_autocast(device.type(), false);
    };
  };
  torch::manual_seed(0);
  const auto on = at::TensorOptions(device);

  {  // 3D U-Net, reference: batch 2 of 1×128³
    const int64_t s = scaled(128, scale, 32), batch = 2;
    Unet3D model;
    model->to(device);
    torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.8).momentum(0.9));
    const at::Tensor x = at::randn({batch, 1, s, s, s}, on);
    const at::Tensor y = at::randint(0, 3, {batch, 1, s, s, s}, on.dtype(at::kByte));
    const auto step = [&] {
      sgd.zero_grad();
      dice_ce_loss(model->forward(x), y).backward();
      sgd.step();
    };
    report("unet3d", fmt::format("{}x1x{}^3", batch, s), batch,
           seconds_per_step(device, steps, with_precision(false, step)),
           seconds_per_step(device, steps, with_precision(true, step)));
  }
  {  // DeepCAM, reference: batch 2 of 16×768×1152
    const int64_t h = scaled(768, scale, 32), w = scaled(1152, scale, 32), batch = 2;
    DeepLabV3Plus model;
    model->to(device);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
    const at::Tensor x = at::randn({batch, 16, h, w}, on);
    const at::Tensor y = at::randint(0, 3, {batch, h, w}, on.dtype(at::kByte));
    const auto step = [&] {
      adam.zero_grad();
      deepcam_ce_loss(model->forward(x), y).backward();
      adam.step();
    };
    report("deepcam", fmt::format("{}x16x{}x{}", batch, h, w), batch,
           seconds_per_step(device, steps, with_precision(false, step)),
           seconds_per_step(device, steps, with_precision(true, step)));
  }
  {  // nnU-Net 2D, reference: batch 64 of 4×192×160 with deep supervision
    const int64_t batch = scaled(64, scale, 4);
    Unet2D model(Unet2DOptions{.patch = {192, 160}});
    model->to(device);
    torch::optim::AdamW adamw(model->parameters(), torch::optim::AdamWOptions(3e-4));
    const at::Tensor x = at::randn({batch, 4, 192, 160}, on);
    const at::Tensor y = at::randint(0, 4, {batch, 1, 192, 160}, on.dtype(at::kByte));
    const auto step = [&] {
      adamw.zero_grad();
      nnunet_deep_supervision_loss(model->forward_all(x), y).backward();
      adamw.step();
    };
    report("unet2d", fmt::format("{}x4x192x160", batch), batch,
           seconds_per_step(device, steps, with_precision(false, step)),
           seconds_per_step(device, steps, with_precision(true, step)));
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gpu_step_bench: error: {}\n", e.what());
    return 2;
  }
}
