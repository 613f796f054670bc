// Training-step throughput of the three benchmark models on a device (CUDA or CPU), in fp32 and
// bf16 autocast, at the reference shapes or a given scale: 3D U-Net (batch × 1×S³, Dice+CE,
// SGD), DeepCAM DeepLabv3+ (batch × 16×H×W, weighted CE, Adam), nnU-Net 2D (batch × 4×192×160,
// deep supervision, AdamW). Prints s/step and samples/s per model and precision, the
// bf16/fp32 ratio measured in the same run, the model FLOPs of a step (convolutions and
// products of the forward pass at that shape, ×3 for backward: segbench/models/flop_count.hpp)
// and, on an H100/H200, the model FLOP utilisation against the dense peak: fp32 runs with TF32
// on (cuDNN's default; cuBLAS too here) against the TF32 peak, bf16 autocast against the bf16
// peak. Each model's line is also written as JSON to FIGURES_FILE when given.
// Usage: gpu_step_bench DEVICE [SCALE STEPS [FIGURES_FILE]]
//   (SCALE 1 = reference shapes; 0.25 for a smoke run)
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
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include "segbench/detail/torch_compat.hpp"
#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/flop_count.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/run/device.hpp"

#ifdef SEGBENCH_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace {

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// Seconds per step after two warm-up steps (one for a one-step smoke run); `step` runs
// forward, loss, backward, optimizer.
double seconds_per_step(const c10::Device& device, int steps, const std::function<void()>& step) {
  for (int i = 0; i < (steps > 1 ? 2 : 1); ++i) step();
  synchronize(device);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  synchronize(device);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
}

int64_t scaled(int64_t n, double scale, int64_t multiple) {
  return std::max(multiple, static_cast<int64_t>(n * scale) / multiple * multiple);
}

std::string device_name(const c10::Device& device) {
#ifdef SEGBENCH_HAVE_CUDA
  if (device.is_cuda()) return at::cuda::getDeviceProperties(device.index())->name;
#endif
  return device.str();
}

struct Figures {
  const char* model;
  std::string shape;
  int64_t batch;
  int64_t step_flops;
  double fp32;  // s/step
  double bf16;
};

std::string mfu_text(double flops_per_s, std::optional<double> peak) {
  return peak ? fmt::format("{:5.1f}% MFU", 100.0 * flops_per_s / *peak) : "MFU n/a";
}

void report(const Figures& f, const std::optional<segbench::DevicePeak>& peak,
            std::ofstream* figures) {
  const double fp32_rate = f.step_flops / f.fp32, bf16_rate = f.step_flops / f.bf16;
  const auto tf32 = peak ? std::optional<double>(peak->tf32) : std::nullopt;
  const auto bf16 = peak ? std::optional<double>(peak->bf16) : std::nullopt;
  fmt::print(
      "{:<8} {:<18} {:7.1f} GFLOP/step | fp32 {:8.4f} s/step {:9.2f} samples/s {:7.1f} TFLOP/s "
      "{} | bf16 {:8.4f} s/step {:9.2f} samples/s {:7.1f} TFLOP/s {} | bf16 speed-up {:.2f}x\n",
      f.model, f.shape, f.step_flops / 1e9, f.fp32, f.batch / f.fp32, fp32_rate / 1e12,
      mfu_text(fp32_rate, tf32), f.bf16, f.batch / f.bf16, bf16_rate / 1e12,
      mfu_text(bf16_rate, bf16), f.fp32 / f.bf16);
  if (figures == nullptr) return;
  const auto json_mfu = [](double rate, std::optional<double> p) {
    return p ? fmt::format("{:.4f}", rate / *p) : std::string("null");
  };
  *figures << fmt::format(
      "{{\"model\": \"{}\", \"shape\": \"{}\", \"step_flops\": {}, \"fp32_s_per_step\": {:.6f}, "
      "\"fp32_samples_per_s\": {:.3f}, \"fp32_mfu_tf32\": {}, \"bf16_s_per_step\": {:.6f}, "
      "\"bf16_samples_per_s\": {:.3f}, \"bf16_mfu\": {}}}\n",
      f.model, f.shape, f.step_flops, f.fp32, f.batch / f.fp32, json_mfu(fp32_rate, tf32), f.bf16,
      f.batch / f.bf16, json_mfu(bf16_rate, bf16));
}

}  // namespace

int run(int argc, char** argv) {
  using namespace segbench;
  const c10::Device device = resolve_device(argc > 1 ? argv[1] : "auto", 0);
  const double scale = argc > 2 ? std::atof(argv[2]) : 1.0;
  const int steps = argc > 3 ? std::atoi(argv[3]) : 10;
  std::optional<std::ofstream> figures_file;
  if (argc > 4) {
    figures_file.emplace(argv[4], std::ios::app);
    if (!*figures_file) {
      fmt::print(stderr, "gpu_step_bench: cannot open {} for appending\n", argv[4]);
      return 2;
    }
  }
  std::ofstream* figures = figures_file ? &*figures_file : nullptr;
  if (device.is_cuda()) {
    at::globalContext().setBenchmarkCuDNN(true);
    at::globalContext().setAllowTF32CuDNN(true);
    at::globalContext().setAllowTF32CuBLAS(true);
  }
  const std::string name = device_name(device);
  const std::optional<DevicePeak> peak = device_peak(name);
  fmt::print("device {} ({}) scale {} steps {}; peaks {}\n", device.str(), name, scale, steps,
             peak ? fmt::format("{}: bf16 {:.1f}, TF32 {:.1f} TFLOP/s dense", peak->name,
                                peak->bf16 / 1e12, peak->tf32 / 1e12)
                  : std::string("unknown (MFU n/a)"));
  // Model FLOPs of a training step at the shape of `x`: one forward pass counted.
  const auto step_flops = [](auto& model, const at::Tensor& x, auto forward) {
    at::NoGradGuard no_grad;
    return training_step_flops(forward_flops([&] { forward(model, x); }));
  };
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
    const int64_t flops =
        step_flops(model, x, [](Unet3D& m, const at::Tensor& in) { m->forward(in); });
    report({"unet3d", fmt::format("{}x1x{}^3", batch, s), batch, flops,
            seconds_per_step(device, steps, with_precision(false, step)),
            seconds_per_step(device, steps, with_precision(true, step))},
           peak, figures);
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
    const int64_t flops =
        step_flops(model, x, [](DeepLabV3Plus& m, const at::Tensor& in) { m->forward(in); });
    report({"deepcam", fmt::format("{}x16x{}x{}", batch, h, w), batch, flops,
            seconds_per_step(device, steps, with_precision(false, step)),
            seconds_per_step(device, steps, with_precision(true, step))},
           peak, figures);
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
    const int64_t flops =
        step_flops(model, x, [](Unet2D& m, const at::Tensor& in) { m->forward_all(in); });
    report({"unet2d", fmt::format("{}x4x192x160", batch), batch, flops,
            seconds_per_step(device, steps, with_precision(false, step)),
            seconds_per_step(device, steps, with_precision(true, step))},
           peak, figures);
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
