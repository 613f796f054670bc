// One rank of a multi-process check of a DistributedContext (Gloo or MPI), run by dist_check.sh.
//   dist_check gloo   rank/world/master from discover_launch_env (DIST_CHECK_TIMEOUT_S)
//   dist_check mpi    under mpirun; cross-checks the MPI rank with the launch environment
//   Both also check subgroups (sizes 1, 2, world) and BatchNorm synchronised over them against
//   BatchNorm of one process over the group's whole batch.
//   dist_check gloo-group-peer-exits   world 4, groups of 2: rank 3 leaves; rank 2's next
//                                allreduce in its group must name itself and job rank 3
//   dist_check gloo-peer-exits   ranks > 0 leave after the barrier; rank 0's next allreduce
//                                must throw a DistributedError that names rank 0
// Exit 0: every check passed; 1: a check failed (the message names the rank); 2: set-up failed.
#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/dist/gloo_context.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/error.hpp"
#include "segbench/models/sync_batch_norm.hpp"
#ifdef SEGBENCH_HAVE_MPI
#include "segbench/dist/mpi_context.hpp"
#endif

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using segbench::DistributedError;

struct CheckFailed {
  std::string message;
};

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return std::atoi(value);
}

template <class Ctx>
void expect(const Ctx& ctx, bool ok, std::string_view what) {
  if (!ok) throw CheckFailed{fmt::format("rank {}/{}: {}", ctx.rank(), ctx.world_size(), what)};
}

// Sum over ranks r of (r + 1) * (i + 1) is (i + 1) * W (W + 1) / 2: exact in every dtype used.
template <class Ctx>
void check_allreduce(Ctx& ctx, at::ScalarType dtype) {
  const int world = ctx.world_size();
  at::Tensor values = (at::arange(1, 1001, at::kDouble) * (ctx.rank() + 1)).to(dtype);
  ctx.allreduce_sum(values);
  const at::Tensor expected = (at::arange(1, 1001, at::kDouble) * (world * (world + 1) / 2));
  expect(ctx, at::equal(values.to(at::kDouble), expected),
         fmt::format("allreduce of {} tensor: expected (i+1)*{}, found first element {}",
                     c10::toString(dtype), world * (world + 1) / 2, values[0].item<double>()));
}

template <class Ctx>
void check_non_contiguous_allreduce(Ctx& ctx) {
  at::Tensor base = at::full({3, 5}, ctx.rank() + 1.0, at::kFloat);
  at::Tensor column_view = base.t();  // not contiguous: reduced through a copy
  ctx.allreduce_sum(column_view);
  const int world = ctx.world_size();
  expect(ctx, at::equal(base, at::full({3, 5}, world * (world + 1) / 2.0, at::kFloat)),
         "allreduce of a non-contiguous view did not write back into the viewed storage");
}

template <class Ctx>
void check_scalar_allreduce(Ctx& ctx) {
  const int world = ctx.world_size();
  const double sum = ctx.allreduce_sum(0.5 * ctx.rank() + 0.25);
  const double expected = 0.25 * world * (world - 1) + 0.25 * world;
  expect(ctx, sum == expected,
         fmt::format("allreduce of doubles: expected {}, found {}", expected, sum));
}

template <class Ctx>
void check_broadcast(Ctx& ctx) {
  const int root = ctx.world_size() > 1 ? 1 : 0;
  at::Tensor floats = ctx.rank() == root ? at::arange(7, 7 + 64, at::kFloat).reshape({4, 16})
                                         : at::full({4, 16}, -1.0, at::kFloat);
  ctx.broadcast(floats, root);
  expect(ctx, at::equal(floats, at::arange(7, 7 + 64, at::kFloat).reshape({4, 16})),
         fmt::format("broadcast of floats from rank {}: found first element {}", root,
                     floats[0][0].item<float>()));

  at::Tensor bytes = at::full({10}, ctx.rank() == root ? 200 : 0, at::kByte);
  ctx.broadcast(bytes, root);
  expect(ctx, at::equal(bytes, at::full({10}, 200, at::kByte)),
         fmt::format("broadcast of uint8 from rank {}: expected 200 everywhere", root));

  bool threw = false;
  try {
    ctx.broadcast(bytes, ctx.world_size());
  } catch (const DistributedError& e) {
    threw = std::string_view(e.what()).find(
                fmt::format("broadcast root must be in [0, {}), found {}", ctx.world_size(),
                            ctx.world_size())) != std::string_view::npos;
  }
  expect(ctx, threw, "broadcast from an out-of-range root did not throw the expected error");
}

template <class Ctx>
void check_config_agreement(Ctx& ctx) {
  const std::uint64_t agreed = 0x5e6be7c4a11u;
  ctx.check_same_config(agreed);
  if (ctx.world_size() == 1) return;  // one rank cannot disagree with itself

  const int odd_rank = ctx.world_size() - 1;
  const std::uint64_t mine = ctx.rank() == odd_rank ? 0xbadc0ffeeu : agreed;
  std::string message;
  try {
    ctx.check_same_config(mine);
  } catch (const DistributedError& e) {
    message = e.what();
  }
  const std::string expected = fmt::format(
      "rank {}/{}: ranks disagree on the configuration: expected hash "
      "0x000005e6be7c4a11 (rank 0), found rank {} has 0x0000000badc0ffee",
      ctx.rank(), ctx.world_size(), odd_rank);
  expect(
      ctx, message == expected,
      fmt::format("config disagreement: expected message \"{}\", found \"{}\"", expected, message));
}

// Synchronised BatchNorm over `group` equals BatchNorm of one process over the concatenated
// batches of the group's ranks: output, input gradient (of the summed loss), running
// statistics, and the weight/bias gradients once summed over the group.
template <class Ctx>
void check_sync_batch_norm(const Ctx& ctx, segbench::AnyContext& group) {
  const int g = group.world_size();
  const int64_t n = 3, channels = 4;
  at::Generator generator = at::detail::createCPUGenerator(1234);  // same data on every rank
  const at::Tensor shift = at::arange(channels, at::kFloat).mul(2.0).sub(3.0).view({1, -1, 1, 1});
  const at::Tensor x_all = at::randn({g * n, channels, 5, 6}, generator) * 1.5 + shift;
  const at::Tensor probe_all = at::randn({g * n, channels, 5, 6}, generator);
  const at::Tensor weight0 = at::randn({channels}, generator);
  const at::Tensor bias0 = at::randn({channels}, generator);
  const auto mine = [&](const at::Tensor& t) {
    return t.slice(0, group.rank() * n, (group.rank() + 1) * n);
  };

  at::Tensor x = mine(x_all).clone().requires_grad_(true);
  at::Tensor weight = weight0.clone().requires_grad_(true);
  at::Tensor bias = bias0.clone().requires_grad_(true);
  at::Tensor running_mean = at::zeros({channels});
  at::Tensor running_var = at::ones({channels});
  const at::Tensor y =
      segbench::sync_batch_norm(x, weight, bias, running_mean, running_var, 0.1, 1e-5, group);
  (y * mine(probe_all)).sum().backward();
  at::Tensor weight_grad = weight.grad().clone();
  at::Tensor bias_grad = bias.grad().clone();
  group.allreduce_sum(weight_grad);
  group.allreduce_sum(bias_grad);

  at::Tensor x_ref = x_all.clone().requires_grad_(true);
  at::Tensor weight_ref = weight0.clone().requires_grad_(true);
  at::Tensor bias_ref = bias0.clone().requires_grad_(true);
  at::Tensor running_mean_ref = at::zeros({channels});
  at::Tensor running_var_ref = at::ones({channels});
  const at::Tensor y_ref = at::batch_norm(x_ref, weight_ref, bias_ref, running_mean_ref,
                                          running_var_ref, true, 0.1, 1e-5, false);
  (y_ref * probe_all).sum().backward();

  const auto close = [](const at::Tensor& a, const at::Tensor& b) {
    return at::allclose(a, b, 1e-4, 1e-5);
  };
  const auto diff = [](const at::Tensor& a, const at::Tensor& b) {
    return (a - b).abs().max().item<double>();
  };
  const std::string where = fmt::format("BatchNorm synchronised over a group of {}", g);
  expect(ctx, close(y, mine(y_ref)),
         fmt::format("{}: output differs from one process by {}", where, diff(y, mine(y_ref))));
  expect(
      ctx, close(x.grad(), mine(x_ref.grad())),
      fmt::format("{}: input gradient differs by {}", where, diff(x.grad(), mine(x_ref.grad()))));
  expect(ctx, close(weight_grad, weight_ref.grad()) && close(bias_grad, bias_ref.grad()),
         fmt::format("{}: summed weight/bias gradients differ by {} / {}", where,
                     diff(weight_grad, weight_ref.grad()), diff(bias_grad, bias_ref.grad())));
  expect(ctx, close(running_mean, running_mean_ref) && close(running_var, running_var_ref),
         fmt::format("{}: running mean/var differ by {} / {}", where,
                     diff(running_mean, running_mean_ref), diff(running_var, running_var_ref)));
}

// Groups of consecutive ranks: sizes, an allreduce within the group only, synchronised
// BatchNorm over it, and a clear error for a size that does not divide the world.
template <class Ctx>
void check_subgroups(Ctx& ctx) {
  const int world = ctx.world_size();
  std::vector<int> sizes{1};
  if (world % 2 == 0) sizes.push_back(2);
  if (world > 2) sizes.push_back(world);
  for (const int g : sizes) {
    segbench::AnyContext group = g == 1 ? segbench::AnyContext(segbench::SingleProcessContext{})
                                        : segbench::AnyContext(ctx.subgroup(g));
    const int first = ctx.rank() / g * g;
    expect(ctx, group.world_size() == g && group.rank() == ctx.rank() - first,
           fmt::format("group of {}: expected rank {}/{}, found {}/{}", g, ctx.rank() - first, g,
                       group.rank(), group.world_size()));
    at::Tensor ids = at::full({3}, ctx.rank() + 1.0, at::kDouble);
    group.allreduce_sum(ids);
    const double expected = g * (first + 1) + g * (g - 1) / 2.0;  // sum of r+1 over the group
    expect(ctx, ids[2].item<double>() == expected,
           fmt::format("group of {} (ranks {}-{}): allreduce expected {}, found {}", g, first,
                       first + g - 1, expected, ids[2].item<double>()));
    check_sync_batch_norm(ctx, group);
  }
  std::string message;
  try {
    (void)ctx.subgroup(world + 1);
  } catch (const segbench::ConfigError& e) {
    message = e.what();
  }
  expect(
      ctx,
      message.find(fmt::format("a group size must divide the world size {}, found {}", world,
                               world + 1)) != std::string::npos,
      fmt::format("a group of {} ranks: expected a clear error, found \"{}\"", world + 1, message));
}

template <segbench::DistributedContext Ctx>
int run_checks(Ctx& ctx, int expected_world) {
  try {
    expect(ctx, ctx.world_size() == expected_world,
           fmt::format("expected world size {}, found {}", expected_world, ctx.world_size()));
    ctx.preflight();
    check_allreduce(ctx, at::kFloat);
    check_allreduce(ctx, at::kDouble);
    check_allreduce(ctx, at::kLong);
    check_non_contiguous_allreduce(ctx);
    check_scalar_allreduce(ctx);
    check_broadcast(ctx);
    ctx.barrier();
    check_config_agreement(ctx);
    check_subgroups(ctx);
    ctx.barrier();
  } catch (const CheckFailed& failure) {
    fmt::print(stderr, "dist_check {}: FAIL {}\n", ctx.backend_name(), failure.message);
    return 1;
  } catch (const segbench::Error& e) {
    fmt::print(stderr, "dist_check {}: FAIL {}\n", ctx.backend_name(), e.what());
    return 1;
  }
  fmt::print("dist_check {}: rank {}/{} (local {}) passed\n", ctx.backend_name(), ctx.rank(),
             ctx.world_size(), ctx.local_rank());
  return 0;
}

// One allreduce on `ctx` after a peer left: it must throw a DistributedError whose message
// starts with `expected`. Returns the exit code of `mode`.
int expect_lost_peer_reported(segbench::GlooContext& ctx, std::string_view mode,
                              const std::string& expected) {
  at::Tensor values = at::ones({16}, at::kFloat);
  try {
    ctx.allreduce_sum(values);
  } catch (const DistributedError& e) {
    if (std::string_view(e.what()).starts_with(expected)) {
      fmt::print("dist_check {}: reported: {}\n", mode, e.what());
      return 0;
    }
    fmt::print(stderr, "dist_check {}: FAIL expected \"{}...\", found \"{}\"\n", mode, expected,
               e.what());
    return 1;
  }
  fmt::print(stderr, "dist_check {}: FAIL an allreduce without its peer succeeded\n", mode);
  return 1;
}

// Rank 0 must see the departure of its peers as a DistributedError, not a hang or a crash.
int check_peer_exit(segbench::GlooContext& ctx) {
  ctx.barrier();
  if (ctx.rank() != 0) return 0;
  // World 2: the lost peer is rank 1, and the message must say so.
  return expect_lost_peer_reported(
      ctx, "gloo-peer-exits",
      fmt::format("rank 0/{}: allreduce failed: lost rank 1 (no sign of life", ctx.world_size()));
}

// In a group, the survivor names itself by job and group rank and the lost peer by job rank.
int check_group_peer_exit(segbench::GlooContext& ctx) {
  segbench::GlooContext group = ctx.subgroup(2);
  ctx.barrier();
  if (ctx.rank() == 3) return 0;  // leaves
  if (ctx.rank() < 2) {
    // Rank 0 hosts the store that rank 2's lost-rank check-in uses: stay until it is done.
    std::this_thread::sleep_for(std::chrono::seconds(8));
    return 0;
  }
  return expect_lost_peer_reported(
      group, "gloo-group-peer-exits",
      "rank 2 (0/2 of the group of ranks 2-3): allreduce failed: lost rank 3 (no sign of life");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string backend = argc > 1 ? argv[1] : "";
  at::set_num_threads(1);
  try {
    if (backend == "gloo" || backend == "gloo-peer-exits" || backend == "gloo-group-peer-exits") {
      const segbench::LaunchEnv env = segbench::discover_launch_env();
      auto ctx = segbench::GlooContext::create(
          env.rank, env.world_size, env.master_addr, env.master_port,
          std::chrono::seconds(env_int("DIST_CHECK_TIMEOUT_S", 30)), env.local_rank);
      if (backend == "gloo-group-peer-exits") return check_group_peer_exit(ctx);
      return backend == "gloo" ? run_checks(ctx, env.world_size) : check_peer_exit(ctx);
    }
#ifdef SEGBENCH_HAVE_MPI
    if (backend == "mpi") {
      const segbench::LaunchEnv env = segbench::discover_launch_env();
      segbench::MpiContext ctx;
      if (env.launcher != segbench::Launcher::openmpi || ctx.rank() != env.rank) {
        fmt::print(stderr, "dist_check mpi: FAIL rank {}: the launch environment says {}\n",
                   ctx.rank(), env.describe());
        return 1;
      }
      return run_checks(ctx, env.world_size);
    }
#endif
  } catch (const segbench::Error& e) {
    fmt::print(stderr, "dist_check {}: {}\n", backend, e.what());
    return 2;
  }
  fmt::print(
      stderr,
      "usage: dist_check gloo|gloo-peer-exits|gloo-group-peer-exits|mpi (this build: gloo{})\n",
#ifdef SEGBENCH_HAVE_MPI
      "|mpi"
#else
      ""
#endif
  );
  return 2;
}
