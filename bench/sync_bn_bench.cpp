// Cost of BatchNorm synchronised over all ranks (DeepCAM --batchnorm_group_size = world) against
// the per-rank BatchNorm, one layer at a time: forward + backward of a (N, C, H, W) activation,
// and the latency of the two small allreduces it adds. Rank 0 prints ms per layer and the ratio.
// Launch 2+ processes (torchrun-style env for gloo, mpirun for mpi).
// Usage: sync_bn_bench gloo|mpi [ITERS N C H W]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>

#include "segbench/dist/launch_env.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"
#include "segbench/models/sync_batch_norm.hpp"

using namespace segbench;

namespace {

template <class Fn>
double seconds_per_call(AnyContext& ctx, int iters, Fn&& fn) {
  fn();  // warm-up
  ctx.barrier();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) fn();
  ctx.barrier();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iters;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    at::set_num_threads(1);
    const int iters = argc > 2 ? std::atoi(argv[2]) : 50;
    const int64_t n = argc > 3 ? std::atoll(argv[3]) : 2;
    const int64_t c = argc > 4 ? std::atoll(argv[4]) : 64;
    const int64_t h = argc > 5 ? std::atoll(argv[5]) : 48;
    const int64_t w = argc > 6 ? std::atoll(argv[6]) : 72;
    AnyContext ctx = make_context({argc > 1 ? argv[1] : "gloo"}, discover_launch_env());
    AnyContext group = ctx.subgroup(ctx.world_size());
    at::manual_seed(ctx.rank());
    const at::Tensor x = at::randn({n, c, h, w}).requires_grad_(true);
    const at::Tensor weight = at::ones({c}).requires_grad_(true);
    const at::Tensor bias = at::zeros({c}).requires_grad_(true);
    const at::Tensor probe = at::randn({n, c, h, w});
    at::Tensor running_mean = at::zeros({c});
    at::Tensor running_var = at::ones({c});

    const double plain = seconds_per_call(ctx, iters, [&] {
      (at::batch_norm(x, weight, bias, running_mean, running_var, true, 0.1, 1e-5, false) * probe)
          .sum()
          .backward();
    });
    const double synced = seconds_per_call(ctx, iters, [&] {
      (sync_batch_norm(x, weight, bias, running_mean, running_var, 0.1, 1e-5, group) * probe)
          .sum()
          .backward();
    });
    at::Tensor moments = at::zeros({2 * c + 1}, at::kDouble);
    const double allreduce =
        seconds_per_call(ctx, iters * 4, [&] { group.allreduce_sum(moments); });
    if (ctx.rank() == 0) {
      fmt::print(
          "sync_bn_bench {} x{} ranks, ({}, {}, {}, {}) per rank, {} iterations: per-rank "
          "BatchNorm {:.3f} ms, synchronised {:.3f} ms (x{:.2f}); one allreduce of {} doubles "
          "{:.3f} ms\n",
          ctx.backend_name(), ctx.world_size(), n, c, h, w, iters, plain * 1e3, synced * 1e3,
          synced / plain, 2 * c + 1, allreduce * 1e3);
    }
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "sync_bn_bench: {}\n", e.what());
    return 2;
  }
}
