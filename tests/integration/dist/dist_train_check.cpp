// K data-parallel training steps of a small 3D U-Net on a fixed global batch, split over the
// ranks of the backend given on the command line. Checks that (1) every rank ends with
// bitwise-identical parameters and (2) they equal, to 1e-5, one process training on the whole
// global batch; then (3) the evaluation mean over unequal case shards equals one process's.
// Rank/world come from the launcher (torchrun-style env or mpirun).
// Usage: dist_train_check gloo|mpi   (exit 0 = passed; messages name the rank)
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include "segbench/dist/gradient_sync.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/models/unet3d.hpp"

#include <string>

using namespace segbench;

namespace {

constexpr int kGlobalBatch = 4;
constexpr int kSteps = 3;

Unet3D make_model(uint64_t seed) {
  torch::manual_seed(seed);
  return Unet3D(Unet3DOptions{.filters = {4, 8, 16}});
}

at::Tensor flat_parameters(Unet3D& model) {
  std::vector<at::Tensor> pieces;
  for (const auto& p : model->parameters()) pieces.push_back(p.detach().reshape(-1));
  return at::cat(pieces);
}

// Trains on samples [begin, end) of the fixed global batch; `prepare` announces each backward,
// `sync` averages gradients after it.
void train(
    Unet3D& model, int begin, int end, const std::function<void()>& sync,
    const std::function<void()>& prepare = [] {}) {
  torch::manual_seed(1234);  // the same global batch on every rank
  const at::Tensor x = at::randn({kGlobalBatch, 1, 16, 16, 16});
  const at::Tensor y = at::randint(0, 3, {kGlobalBatch, 1, 16, 16, 16}).to(at::kByte);
  torch::optim::SGD sgd(model->parameters(),
                        torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
  for (int step = 0; step < kSteps; ++step) {
    sgd.zero_grad();
    prepare();
    dice_ce_loss(model->forward(x.slice(0, begin, end)), y.slice(0, begin, end)).backward();
    sync();
    sgd.step();
  }
}

}  // namespace

int main(int argc, char** argv) {
  int rank = -1;
  try {
    at::set_num_threads(1);
    const LaunchEnv env = discover_launch_env();
    rank = env.rank;
    AnyContext ctx = make_context({argc > 1 ? argv[1] : "gloo", std::chrono::seconds(30)}, env);
    const int world = ctx.world_size();
    SEGBENCH_CHECK(kGlobalBatch % world == 0, ConfigError, "world {} must divide the batch {}",
                   world, kGlobalBatch);
    // Different initial weights per rank: only the broadcast makes them agree.
    Unet3D model = make_model(100 + static_cast<uint64_t>(rank));
    broadcast_tensors(model->parameters(), ctx);
    const bool overlap = argc > 2 && std::string(argv[2]) == "overlap";
    GradientAverager averager(
        model->parameters(), ctx, /*bucket_bytes=*/16 << 10,
        overlap ? GradientSyncMode::overlap : GradientSyncMode::after_backward);
    const int share = kGlobalBatch / world;
    train(
        model, rank * share, (rank + 1) * share, [&] { averager.average(); },
        [&] { averager.prepare_backward(true); });

    at::Tensor mine = flat_parameters(model);
    at::Tensor from_rank0 = mine.clone();
    ctx.broadcast(from_rank0, 0);
    const double mismatching_ranks = ctx.allreduce_sum(at::equal(mine, from_rank0) ? 0.0 : 1.0);
    SEGBENCH_CHECK(mismatching_ranks == 0, DistributedError,
                   "rank {}/{}: {} rank(s) hold parameters that differ from rank 0 after {} steps",
                   rank, world, mismatching_ranks, kSteps);

    SEGBENCH_CHECK(!overlap || averager.stats().buckets_launched_in_backward > 0, DistributedError,
                   "rank {}/{}: overlap mode launched no bucket during backward", rank, world);
    Unet3D reference = make_model(100);  // rank 0's initial weights, one process, whole batch
    train(reference, 0, kGlobalBatch, [] {});
    const double max_diff = (mine - flat_parameters(reference)).abs().max().item<double>();
    SEGBENCH_CHECK(max_diff <= 1e-5, DistributedError,
                   "rank {}/{}: parameters differ from the single-process run by {:.3g} (> 1e-5)",
                   rank, world, max_diff);
    fmt::print(
        "dist_train_check {} {}: rank {}/{} passed ({} buckets, {} launched during backward, {} "
        "bytes/step, max |diff| vs "
        "one process {:.3g})\n",
        ctx.backend_name(), overlap ? "overlap" : "after-backward", rank, world,
        averager.stats().buckets, averager.stats().buckets_launched_in_backward,
        averager.stats().bytes_per_step, max_diff);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dist_train_check: rank {}: {}\n", rank, e.what());
    return 1;
  }
}
