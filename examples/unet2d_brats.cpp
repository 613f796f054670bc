// nnU-Net 2D U-Net on BraTS (MSD Task01): CLI → preset → compose library parts → train to the
// mean Dice target. One process per rank; rank and world come from Slurm, mpirun or
// torchrun-style variables.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <iostream>

#include "segbench/config/brats_config.hpp"
#include "segbench/config/run_environment.hpp"
#include "segbench/data/loader.hpp"
#include "segbench/detail/torch_compat.hpp"
#include "segbench/dist/gradient_sync.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"
#include "segbench/log/brats_events.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/metrics/brats_dice.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/train/brats_setup.hpp"
#include "segbench/train/driver_main.hpp"
#include "segbench/train/epoch_lr_policy.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "segbench/train/stop_signal.hpp"
#include "segbench/transforms/layout_2d.hpp"

using namespace segbench;

namespace {

int run(const BratsConfig& cfg) {
  if (cfg.threads > 0) at::set_num_threads(static_cast<int>(cfg.threads));
  const LaunchEnv env = discover_launch_env();
  const ContextOptions dist{cfg.dist, std::chrono::seconds(cfg.dist_timeout)};
  const int64_t seed = resolve_seed(cfg.seed);
  torch::manual_seed(static_cast<uint64_t>(seed));
  if (cfg.dry_run) {
    Unet2D model(brats_model_options(cfg, 4, 4));
    fmt::print("{}\n", to_json(cfg).dump(2));
    fmt::print("rank layout: world {} (backend {}), this process rank {} local rank {}\n",
               env.world_size, resolve_backend(dist, env), env.rank, env.local_rank);
    fmt::print("launcher: {}\nseed: {}\nfilters: {}\nparameters: {}\n", env.describe(), seed,
               nlohmann::json(model->filters()).dump(), count_parameters(*model));
    return 0;
  }
  AnyContext ctx = make_context(dist, env);
  ctx.check_same_config(std::hash<std::string>{}(to_json(cfg).dump()) ^
                        static_cast<uint64_t>(seed));
  const BratsData data = open_brats_data(cfg);
  Unet2D model(brats_model_options(cfg, data.in_channels, data.n_class));
  broadcast_tensors(model->parameters(), ctx);
  broadcast_tensors(model->buffers(), ctx);

  mllog::Logger log = ctx.rank() != 0 ? mllog::Logger()
                      : cfg.log_dir.empty()
                          ? mllog::Logger(std::cout)
                          : mllog::Logger(cfg.log_dir / "unet2d_brats.log", &std::cout);
  namespace key = mllog::key;
  log_brats_submission(log);
  log.start(key::kInitStart);
  log_brats_config(log, cfg, seed, {ctx.world_size(), env.num_nodes, 0},
                   static_cast<int64_t>(data.train.size()),
                   static_cast<int64_t>(data.validation.size()));

  const auto nvol = static_cast<std::size_t>(cfg.nvol);
  EpochSampler sampler(data.train.size(), seed, ctx.rank(), ctx.world_size(), true, true, nvol);
  PrefetchLoader loader(data.train, sampler, nvol,
                        make_brats_train_transforms(brats_augment_options(cfg)),
                        static_cast<uint64_t>(seed), static_cast<int>(cfg.num_workers));
  LoaderBatchSource batches(loader);
  auto optimizer = make_optimizer({.name = cfg.optimizer,
                                   .learning_rate = cfg.learning_rate,
                                   .weight_decay = cfg.weight_decay,
                                   .betas = cfg.betas,
                                   .eps = cfg.eps},
                                  model->parameters());
  GradientAverager gradients(model->parameters(), ctx, std::size_t{25} << 20,
                             gradient_sync_mode(cfg.grad_sync));
  MeanDiceTarget target = brats_mean_dice_target(cfg.quality_target);
  EpochLrPolicy lr_policy({.type = cfg.scheduler,
                           .base_lr = cfg.learning_rate,
                           .milestones = cfg.steps,
                           .factor = cfg.factor,
                           .max_epochs = cfg.max_epochs,
                           .patience = cfg.lr_patience});
  const bool bf16 = brats_uses_bf16(cfg, false);
  const auto predict = [&](const at::Tensor& x) { return model->forward(x); };

  TrainerOptions options = make_brats_trainer_options(cfg, seed, ctx.rank());
  options.samples_per_step = cfg.batch_size * ctx.world_size();
  options.progress = &std::cerr;
  options.stop_requested = install_stop_signals();
  options.lr_at_epoch = [&](int64_t epoch) { return lr_policy.lr_for_epoch(epoch); };

  TrainerParts parts;
  parts.model = model.ptr();
  parts.forward = predict;
  parts.optimizer = optimizer.get();
  parts.loss = nnunet_dice_ce_loss;
  parts.training_loss = [&](const at::Tensor& blocks, const at::Tensor& labels) {
    segbench::detail::set_cpu_autocast(bf16);
    auto outputs = model->forward_all(layout_2d(blocks));
    segbench::detail::set_cpu_autocast(false);
    return nnunet_deep_supervision_loss(outputs, layout_2d(labels));
  };
  parts.train_batches = &batches;
  parts.evaluate = [&](int64_t) {
    at::NoGradGuard no_grad;
    model->eval();
    EvalResult result = evaluate_brats(predict, data.validation, target, ctx, cfg.val_batch_size);
    model->train();
    lr_policy.observe(result.quality);
    return result;
  };
  parts.before_backward = [&](bool will_step) { gradients.prepare_backward(will_step); };
  parts.reduce_gradients = [&] { gradients.average(); };
  parts.average_over_ranks = [&](double v) { return ctx.allreduce_sum(v) / ctx.world_size(); };
  parts.log = &log;
  log.end(key::kInitStop);

  const TrainOutcome outcome = SegmentationTrainer(std::move(parts), options).fit();
  if (ctx.rank() != 0) return outcome.status == RunStatus::success ? 0 : 1;
  const auto& classes = target.class_means();
  fmt::print(stderr,
             "unet2d_brats: {} ({}) after {} epochs, {:.1f} s from run_start; throughput {:.1f} "
             "images/s; last mean Dice {:.4f} (target {}; L1 {:.4f} L2 {:.4f} L3 {:.4f}); {} "
             "ranks ({}), {}; log {}\n",
             outcome.status == RunStatus::success ? "SUCCESS" : "ABORTED", outcome.reason,
             outcome.epochs_run, outcome.seconds_to_stop,
             outcome.samples_trained / std::max(1e-9, outcome.train_seconds), outcome.last_quality,
             cfg.quality_target, classes.size() > 0 ? classes[0] : 0.0,
             classes.size() > 1 ? classes[1] : 0.0, classes.size() > 2 ? classes[2] : 0.0,
             ctx.world_size(), ctx.backend_name(), bf16 ? "bf16 autocast" : "fp32",
             log.path().empty() ? "(stdout only)" : log.path().string());
  return outcome.status == RunStatus::success ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return run_driver("unet2d_brats", [&] { return run(parse_brats_cli(argc, argv)); });
}
