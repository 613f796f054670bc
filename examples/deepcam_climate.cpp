// MLPerf HPC DeepCAM on CAM5 climate data: CLI → preset → compose library parts → train to
// IoU 0.82. One process per rank; rank and world come from Slurm, mpirun or torchrun-style
// variables.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <chrono>
#include <iostream>

#include "segbench/config/deepcam_config.hpp"
#include "segbench/config/run_environment.hpp"
#include "segbench/data/loader.hpp"
#include "segbench/dist/gradient_sync.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"
#include "segbench/log/deepcam_events.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/train/deepcam_setup.hpp"
#include "segbench/train/driver_main.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "segbench/train/stop_signal.hpp"

using namespace segbench;

namespace {

int run(const DeepcamConfig& cfg) {
  if (cfg.threads > 0) at::set_num_threads(static_cast<int>(cfg.threads));
  const LaunchEnv env = discover_launch_env();
  const ContextOptions dist{cfg.dist, std::chrono::seconds(cfg.dist_timeout)};
  const int64_t seed = resolve_seed(cfg.seed);
  torch::manual_seed(static_cast<uint64_t>(seed));
  DeepLabV3Plus model(DeepLabV3PlusOptions{.in_channels = static_cast<int64_t>(cfg.channels.size()),
                                           .n_classes = 3,
                                           .width = cfg.width});
  const std::string platform = cfg.submission_platform.empty()
                                   ? default_platform(env.world_size, at::get_num_threads())
                                   : cfg.submission_platform;
  if (cfg.dry_run) {
    fmt::print("{}\n", to_json(cfg).dump(2));
    fmt::print("rank layout: world {} (backend {}), this process rank {} local rank {}\n",
               env.world_size, resolve_backend(dist, env), env.rank, env.local_rank);
    fmt::print("launcher: {}\nseed: {}\nplatform: {}\nbatchnorm layers: {}\nparameters: {}\n",
               env.describe(), seed, platform, model->batch_norm_count(), count_parameters(*model));
    const int64_t first = env.rank / cfg.batchnorm_group_size * cfg.batchnorm_group_size;
    fmt::print("batchnorm statistics: {}\n",
               cfg.batchnorm_group_size == 1 ? std::string("per rank")
                                             : fmt::format("synchronised over ranks {}-{}", first,
                                                           first + cfg.batchnorm_group_size - 1));
    return 0;
  }
  AnyContext ctx = make_context(dist, env);
  ctx.check_same_config(std::hash<std::string>{}(to_json(cfg).dump()) ^
                        static_cast<uint64_t>(seed));
  if (cfg.batchnorm_group_size > 1) {
    model->set_batchnorm_group(std::make_shared<AnyContext>(
        batchnorm_group(ctx, static_cast<int>(cfg.batchnorm_group_size))));
  }
  broadcast_tensors(model->parameters(), ctx);
  broadcast_tensors(model->buffers(), ctx);

  const auto log_file = cfg.output_dir / "logs" / (cfg.run_tag + ".log");
  mllog::Logger log = ctx.rank() != 0          ? mllog::Logger()
                      : cfg.output_dir.empty() ? mllog::Logger(std::cout)
                                               : mllog::Logger(log_file, &std::cout);
  namespace key = mllog::key;
  log.start(key::kInitStart);
  log.event(key::kCacheClear, nullptr);
  log.start(key::kStagingStart);  // data is read in place: staging = listing + stats.h5
  DeepcamDatasets data = open_deepcam_datasets(cfg);
  const auto train_samples = static_cast<int64_t>(data.train.size());
  const auto eval_samples = static_cast<int64_t>(data.validation.size());
  log.end(key::kStagingStop, nullptr, {{"staged_files", train_samples + eval_samples}});
  log_deepcam_submission(log, cfg, resolve_deepcam_division(cfg, train_samples, eval_samples),
                         platform);
  log_deepcam_config(log, cfg, seed, {ctx.world_size(), env.num_nodes, 0});
  log.event(key::kTrainSamples, train_samples);
  log.event(key::kEvalSamples, eval_samples);

  const auto batch = static_cast<std::size_t>(cfg.local_batch_size);
  EpochSampler sampler(data.train.size(), seed, ctx.rank(), ctx.world_size(), true, true, batch);
  PrefetchLoader loader(
      data.train, sampler, batch, [](Sample s, Rng&) { return s; }, static_cast<uint64_t>(seed),
      static_cast<int>(cfg.num_workers));
  LoaderBatchSource batches(loader);
  auto optimizer = make_optimizer({.name = cfg.optimizer,
                                   .learning_rate = cfg.start_lr,
                                   .weight_decay = cfg.weight_decay,
                                   .betas = cfg.betas,
                                   .eps = cfg.eps,
                                   .max_grad_norm = cfg.max_grad_norm},
                                  model->parameters());
  GradientAverager gradients(model->parameters(), ctx, std::size_t{25} << 20,
                             gradient_sync_mode(cfg.grad_sync));
  MeanIouTarget target(cfg.corrected_iou ? corrected_mean_iou(cfg.target_iou)
                                         : MeanIouOptions{.target = cfg.target_iou});
  const auto predict = [&](const at::Tensor& x) { return model->forward(x); };

  TrainerOptions options = make_deepcam_trainer_options(cfg, seed, ctx.rank());
  options.samples_per_step = cfg.local_batch_size * ctx.world_size();
  options.progress = &std::cerr;
  options.stop_requested = install_stop_signals();

  TrainerParts parts;
  parts.model = model.ptr();
  parts.forward = predict;
  parts.optimizer = optimizer.get();
  parts.loss = [](const at::Tensor& logits, const at::Tensor& label) {
    return deepcam_ce_loss(logits, label);
  };
  parts.train_accuracy = [](const at::Tensor& logits, const at::Tensor& label) {
    return batch_mean_iou(logits, label);
  };
  parts.train_batches = &batches;
  parts.evaluate = [&](int64_t) {
    at::NoGradGuard no_grad;
    model->eval();
    EvalResult result = evaluate_deepcam(predict, data.validation, target, ctx);
    model->train();
    return result;
  };
  parts.before_backward = [&](bool will_step) { gradients.prepare_backward(will_step); };
  parts.reduce_gradients = [&] { gradients.average(); };
  parts.end_of_epoch = [&] { average_floating_tensors(model->buffers(), ctx); };
  parts.average_over_ranks = [&](double v) { return ctx.allreduce_sum(v) / ctx.world_size(); };
  parts.log = &log;
  log.end(key::kInitStop);

  const TrainOutcome outcome = SegmentationTrainer(std::move(parts), options).fit();
  if (ctx.rank() != 0) return outcome.status == RunStatus::success ? 0 : 1;
  const double steps = static_cast<double>(outcome.epochs_run * loader.batches_per_epoch());
  fmt::print(stderr,
             "deepcam_climate: {} ({}) after {} epochs, {:.1f} s from run_start ({:.2f} s per "
             "step incl. evaluation); last IoU {:.4f} (target {}); {} ranks ({}); MLLOG {}\n",
             outcome.status == RunStatus::success ? "SUCCESS" : "ABORTED", outcome.reason,
             outcome.epochs_run, outcome.seconds_to_stop,
             outcome.seconds_to_stop / std::max(1.0, steps), outcome.last_quality, cfg.target_iou,
             ctx.world_size(), ctx.backend_name(),
             log.path().empty() ? "(stdout only)" : log.path().string());
  return outcome.status == RunStatus::success ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return run_driver("deepcam_climate", [&] { return run(parse_deepcam_cli(argc, argv)); });
}
