// Training-step throughput of DeepCAM's DeepLabv3+ (forward + weighted CE + backward + Adam step,
// optimiser settings of the reference's defaults). Prints s/step (wall and this process's CPU
// time) and samples/s for the full-width model on 192 x 288 (the size of fidelity §5.2) and for a
// demo width. Usage: deepcam_step_bench [STEPS THREADS DEMO_WIDTH]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <sys/resource.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet3d.hpp"

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five;
  file >> one >> five;
  return one + " " + five;
}

void run(double width, int64_t batch, int64_t height, int64_t image_width, int steps) {
  at::manual_seed(0);
  segbench::DeepLabV3Plus model(segbench::DeepLabV3PlusOptions{.width = width});
  torch::optim::Adam adam(
      model->parameters(),
      torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-6).weight_decay(1e-6));
  const at::Tensor x = at::rand({batch, 16, height, image_width});
  const at::Tensor y = at::randint(0, 3, {batch, height, image_width});
  const auto step = [&] {
    adam.zero_grad();
    segbench::deepcam_ce_loss(model->forward(x), y).backward();
    adam.step();
  };
  step();  // warm-up (allocations, oneDNN primitive caches)
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
  const double cpu = (cpu_seconds() - cpu_start) / steps;
  fmt::print(
      "  width {:<5} {} params, input {}x16x{}x{}: {:.3f} s/step, {:.3f} samples/s, "
      "CPU {:.2f} s/step (load avg {})\n",
      width, segbench::count_parameters(*model), batch, height, image_width, wall, batch / wall,
      cpu, load_average());
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 2;
  at::set_num_threads(argc > 2 ? std::atoi(argv[2]) : 2);
  const double demo_width = argc > 3 ? std::atof(argv[3]) : 0.125;
  fmt::print("deepcam DeepLabv3+ training step, {} threads, {} timed steps, load avg {}\n",
             at::get_num_threads(), steps, load_average());
  run(demo_width, 1, 96, 144, steps);
  run(1.0, 1, 192, 288, steps);
  return 0;
}
