// One nnU-Net 2D training step (fidelity §3.5-3.7, §5.2): zero_grad, forward with deep supervision,
// Dice+CE deep-supervision loss, backward, AdamW. fp32 and/or bf16 CPU autocast, each step timed
// (the first one includes oneDNN primitive creation). Prints wall and CPU seconds per step, peak
// RSS and the load average before and after, since the machine may be shared.
// Usage: unet2d_step_bench [BATCH STEPS THREADS fp32|bf16|both fast|transposed H W]
// (reference: batch 64, 4x192x160, full filters).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "segbench/detail/torch_compat.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet2d.hpp"

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double peak_rss_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / (1024.0 * 1024.0);  // ru_maxrss is in KiB on Linux
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct StepTimes {
  std::vector<double> wall, cpu;
  double loss = 0.0;
};

StepTimes run_steps(bool bf16, bool fast_upsample, const at::Tensor& x, const at::Tensor& y,
                    int steps, segbench::Size2D patch) {
  torch::manual_seed(0);
  segbench::Unet2DOptions options;
  options.patch = patch;
  options.fast_upsample = fast_upsample;
  segbench::Unet2D model(options);
  model->train();
  torch::optim::AdamW adamw(
      model->parameters(),
      torch::optim::AdamWOptions(1e-3).betas({0.9, 0.999}).eps(1e-8).weight_decay(1e-4));
  StepTimes times;
  for (int i = 0; i < steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    adamw.zero_grad();
    if (bf16) segbench::detail::set_cpu_autocast(true, at::kBFloat16);
    const at::Tensor loss = segbench::nnunet_deep_supervision_loss(model->forward_all(x), y);
    if (bf16) segbench::detail::set_cpu_autocast(false);
    loss.backward();
    adamw.step();
    times.loss = loss.item<double>();
    times.wall.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    times.cpu.push_back(cpu_seconds() - cpu_start);
    fmt::print("    step {}: {:.2f} s wall, {:.2f} s CPU, loss {:.5f}\n", i + 1, times.wall.back(),
               times.cpu.back(), times.loss);
    std::fflush(stdout);
  }
  return times;
}

void report(const char* name, const StepTimes& t, int64_t batch) {
  // Steady state: the mean of steps 2.. when there are several, else the single step.
  const std::size_t first = t.wall.size() > 1 ? 1 : 0;
  double wall = 0.0, cpu = 0.0;
  for (std::size_t i = first; i < t.wall.size(); ++i) {
    wall += t.wall[i];
    cpu += t.cpu[i];
  }
  const double n = static_cast<double>(t.wall.size() - first);
  wall /= n;
  cpu /= n;
  fmt::print("  {:<5}: {:.2f} s/step, {:.3f} samples/s, {:.2f} CPU s/step ({:.2f} cores)\n", name,
             wall, batch / wall, cpu, cpu / wall);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 64;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 2;
  at::set_num_threads(argc > 3 ? std::atoi(argv[3]) : 2);
  const std::string mode = argc > 4 ? argv[4] : "both";
  const bool fast_upsample = argc > 5 ? std::string(argv[5]) != "transposed" : true;
  const int64_t h = argc > 6 ? std::atoll(argv[6]) : 192;
  const int64_t w = argc > 7 ? std::atoll(argv[7]) : 160;

  at::manual_seed(1);
  const at::Tensor x = at::randn({batch, 4, h, w});
  const at::Tensor y = at::randint(0, 4, {batch, 1, h, w}).to(at::kByte);
  const segbench::Size2D patch{h, w};
  fmt::print(
      "unet2d (nnU-Net 2D, DS, {} params, {} up-sampling), input {}x4x{}x{}, {} threads, "
      "{} steps; load average {}\n",
      segbench::count_parameters(*segbench::Unet2D(segbench::Unet2DOptions{.patch = patch})),
      fast_upsample ? "fast" : "ConvTranspose2d", batch, h, w, at::get_num_threads(), steps,
      load_average());
  std::fflush(stdout);
  if (mode == "fp32" || mode == "both") {
    fmt::print("  fp32 steps:\n");
    report("fp32", run_steps(false, fast_upsample, x, y, steps, patch), batch);
  }
  if (mode == "bf16" || mode == "both") {
    fmt::print("  bf16 autocast steps:\n");
    report("bf16", run_steps(true, fast_upsample, x, y, steps, patch), batch);
  }
  fmt::print("  peak RSS {:.2f} GiB; load average after {}\n", peak_rss_gib(), load_average());
  return 0;
}
