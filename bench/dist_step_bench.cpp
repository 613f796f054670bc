// Weak scaling of the data-parallel 3D U-Net training step: every rank trains on its own
// batch (fixed per-rank size) and gradients are averaged after backward in 25 MB buckets.
// Rank 0 prints s/step, global samples/s and the allreduce time and bytes per step.
// Launch one process per rank (torchrun-style env or mpirun); see bench/dist_scaling.sh.
// Usage: dist_step_bench BACKEND [SIZE BATCH STEPS FILTERS...]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdlib>

#include "segbench/dist/gradient_sync.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/models/unet3d.hpp"

using namespace segbench;

int main(int argc, char** argv) {
  try {
    at::set_num_threads(1);
    const int64_t size = argc > 2 ? std::atoll(argv[2]) : 32;
    const int64_t batch = argc > 3 ? std::atoll(argv[3]) : 2;
    const int steps = argc > 4 ? std::atoi(argv[4]) : 5;
    std::vector<int64_t> filters;
    for (int i = 5; i < argc; ++i) filters.push_back(std::atoll(argv[i]));
    if (filters.empty()) filters = {8, 16, 32, 64};
    AnyContext ctx = make_context({argc > 1 ? argv[1] : "gloo"}, discover_launch_env());
    torch::manual_seed(0);
    Unet3D model(Unet3DOptions{.filters = filters});
    broadcast_tensors(model->parameters(), ctx);
    // SEGBENCH_GRAD_SYNC=overlap starts each bucket's allreduce as backward fills it; the
    // "allreduce" figure is then the communication left waiting after backward.
    const char* mode_env = std::getenv("SEGBENCH_GRAD_SYNC");
    const std::string mode = mode_env ? mode_env : "after_backward";
    // SEGBENCH_BUCKET_KB sets the bucket size (default 25 MiB, like PyTorch DDP).
    const char* bucket_env = std::getenv("SEGBENCH_BUCKET_KB");
    const std::size_t bucket_bytes =
        bucket_env ? static_cast<std::size_t>(std::atoll(bucket_env)) << 10 : std::size_t{25} << 20;
    GradientAverager averager(model->parameters(), ctx, bucket_bytes, gradient_sync_mode(mode));
    torch::optim::SGD sgd(model->parameters(),
                          torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true));
    torch::manual_seed(static_cast<uint64_t>(ctx.rank()));
    const at::Tensor x = at::randn({batch, 1, size, size, size});
    const at::Tensor y = at::randint(0, 3, {batch, 1, size, size, size}).to(at::kByte);
    const auto step = [&] {
      sgd.zero_grad();
      averager.prepare_backward(true);
      dice_ce_loss(model->forward(x), y).backward();
      averager.average();
      sgd.step();
    };
    step();  // warm-up
    const double sync_before = averager.stats().seconds;
    ctx.barrier();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    ctx.barrier();
    const double per_step =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
    const double sync_per_step = (averager.stats().seconds - sync_before) / steps;
    if (ctx.rank() == 0) {
      fmt::print(
          "world {} ({}, {}), per-rank batch {}x1x{}^3: {:.3f} s/step, {:.2f} samples/s, "
          "allreduce {:.3f} s/step ({:.1f}%), {:.2f} MB/step in {} buckets\n",
          ctx.world_size(), ctx.backend_name(), mode, batch, size, per_step,
          static_cast<double>(batch * ctx.world_size()) / per_step, sync_per_step,
          100.0 * sync_per_step / per_step, averager.stats().bytes_per_step / 1e6,
          averager.stats().buckets);
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dist_step_bench: {}\n", e.what());
    return 1;
  }
}
