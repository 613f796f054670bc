// MLCommons 3D U-Net on KiTS19: CLI → preset → compose library parts → train to Dice 0.908.
// One process per rank; rank and world come from Slurm, mpirun or torchrun-style variables.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <iostream>

#include "segbench/config/run_environment.hpp"
#include "segbench/config/unet3d_config.hpp"
#include "segbench/data/kits19_dataset.hpp"
#include "segbench/data/kits19_split.hpp"
#include "segbench/data/loader.hpp"
#include "segbench/dist/gradient_sync.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/unet3d_events.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/train/driver_main.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "segbench/train/stop_signal.hpp"
#include "segbench/train/trainer.hpp"
#include "segbench/train/unet3d_setup.hpp"
#include "segbench/train/volume_evaluation.hpp"
#include "segbench/transforms/kits19_train.hpp"

using namespace segbench;

namespace {

int run(const Unet3dConfig& cfg) {
  if (cfg.threads > 0) at::set_num_threads(static_cast<int>(cfg.threads));
  const LaunchEnv env = discover_launch_env();
  const ContextOptions dist{cfg.dist, std::chrono::seconds(cfg.dist_timeout)};
  const int64_t seed = resolve_seed(cfg.seed);
  torch::manual_seed(static_cast<uint64_t>(seed));
  Unet3D model(Unet3DOptions{.filters = cfg.filters,
                             .normalization = cfg.normalization,
                             .activation = cfg.activation,
                             .fast_upsample = cfg.fast_upsample});
  const std::string platform = cfg.submission_platform.empty()
                                   ? default_platform(env.world_size, at::get_num_threads())
                                   : cfg.submission_platform;
  if (cfg.dry_run) {
    fmt::print("{}\n", to_json(cfg).dump(2));
    fmt::print("rank layout: world {} (backend {}), this process rank {} local rank {}\n",
               env.world_size, resolve_backend(dist, env), env.rank, env.local_rank);
    fmt::print("launcher: {}\nseed: {}\nplatform: {}\nparameters: {}\n", env.describe(), seed,
               platform, count_parameters(*model));
    return 0;
  }
  AnyContext ctx = make_context(dist, env);
  ctx.check_same_config(std::hash<std::string>{}(to_json(cfg).dump()) ^
                        static_cast<uint64_t>(seed));
  broadcast_tensors(model->parameters(), ctx);
  broadcast_tensors(model->buffers(), ctx);

  mllog::Logger log = ctx.rank() != 0       ? mllog::Logger()
                      : cfg.log_dir.empty() ? mllog::Logger(std::cout)
                                            : mllog::Logger(cfg.log_dir / "unet3d.log", &std::cout);
  log.event(mllog::key::kCacheClear, true);
  log.start(mllog::key::kInitStart);
  const Kits19Split split = split_kits19_cases(cfg.data_dir);
  const std::string division =
      resolve_unet3d_division(cfg, split.train.size(), split.validation.size());
  log_unet3d_config(log, cfg, seed, {ctx.world_size(), env.num_nodes, 0}, division, platform);
  for (const auto& [name, tensors] : model->initialization_groups()) {
    log.event(mllog::key::kWeightsInitialization, nullptr, {{"tensor", name}});
  }

  const Kits19Dataset train_set(split.train, cfg.cache_dataset);
  const Kits19Dataset val_set(split.validation, cfg.cache_dataset);
  const auto batch = static_cast<std::size_t>(cfg.batch_size);
  EpochSampler sampler(train_set.size(), seed, ctx.rank(), ctx.world_size(), true, true, batch);
  PrefetchLoader loader(
      train_set, sampler, batch,
      make_kits19_train_transforms(cfg.input_shape, cfg.oversampling, cfg.brightness_quirk),
      static_cast<uint64_t>(seed), static_cast<int>(cfg.num_workers));
  LoaderBatchSource batches(loader);
  auto optimizer = make_optimizer(
      {cfg.optimizer, cfg.learning_rate, cfg.momentum, cfg.weight_decay, cfg.lamb_betas},
      model->parameters());
  GradientAverager gradients(model->parameters(), ctx, std::size_t{25} << 20,
                             gradient_sync_mode(cfg.grad_sync));
  MeanDiceTarget target(cfg.quality_threshold);
  const SlidingWindowOptions window{.roi = cfg.val_input_shape,
                                    .overlap = cfg.overlap,
                                    .windows_per_batch = cfg.windows_per_batch};
  const auto predict = [&](const at::Tensor& x) { return model->forward(x); };

  const auto samples_per_epoch =
      static_cast<int64_t>(loader.batches_per_epoch() * batch) * ctx.world_size();
  TrainerOptions options = make_unet3d_trainer_options(
      cfg, seed, samples_per_epoch, static_cast<int64_t>(train_set.size()),
      static_cast<int64_t>(val_set.size()), ctx.rank(), ctx.world_size());
  options.progress = &std::cerr;
  options.stop_requested = install_stop_signals();

  TrainerParts parts;
  parts.model = model.ptr();
  parts.forward = predict;
  parts.optimizer = optimizer.get();
  parts.loss = [](const at::Tensor& logits, const at::Tensor& label) {
    return dice_ce_loss(logits, label);
  };
  parts.train_batches = &batches;
  parts.evaluate = [&](int64_t) {
    at::NoGradGuard no_grad;
    model->eval();
    EvalResult result = evaluate_volumes(predict, val_set, target, ctx, window);
    model->train();
    return result;
  };
  parts.before_backward = [&](bool will_step) { gradients.prepare_backward(will_step); };
  parts.reduce_gradients = [&] { gradients.average(); };
  parts.average_over_ranks = [&](double v) { return ctx.allreduce_sum(v) / ctx.world_size(); };
  parts.log = &log;
  log.end(mllog::key::kInitStop);

  const TrainOutcome outcome = SegmentationTrainer(std::move(parts), options).fit();
  if (ctx.rank() != 0) return outcome.status == RunStatus::success ? 0 : 1;
  fmt::print(stderr,
             "unet3d_kits19: {} ({}) after {} epochs, {:.1f} s from run_start; last mean Dice "
             "{:.4f} (target {}); {} ranks ({}), gradient allreduce {:.1f} MB/step, {:.1f} s in "
             "all; MLLOG {}\n",
             outcome.status == RunStatus::success ? "SUCCESS" : "ABORTED", outcome.reason,
             outcome.epochs_run, outcome.seconds_to_stop, outcome.last_quality,
             cfg.quality_threshold, ctx.world_size(), ctx.backend_name(),
             gradients.stats().bytes_per_step / 1e6, gradients.stats().seconds,
             log.path().empty() ? "(stdout only)" : log.path().string());
  return outcome.status == RunStatus::success ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return run_driver("unet3d_kits19", [&] { return run(parse_unet3d_cli(argc, argv)); });
}
