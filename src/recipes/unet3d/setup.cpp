#include "segbench/recipes/unet3d/setup.hpp"

#include <ATen/ATen.h>
#include <fmt/core.h>
#include <torch/optim/optimizer.h>

#include "segbench/inference/sliding_window.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/prep/dataset_verification.hpp"
#include "segbench/recipes/common/data_check.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/recipes/unet3d/events.hpp"
#include "segbench/train/lr_schedule.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "segbench/transforms/kits19_train.hpp"

namespace segbench {

Unet3DOptions unet3d_model_options(const Unet3dConfig& cfg) {
  return Unet3DOptions{.filters = cfg.filters,
                       .normalization = cfg.normalization,
                       .activation = cfg.activation,
                       .fast_upsample = cfg.fast_upsample};
}

Unet3dData open_unet3d_data(const Unet3dConfig& cfg) {
  Kits19Split split = split_kits19_cases(cfg.data_dir);
  require_valid_data(prep::verify_kits19_preprocessed(
                         cfg.data_dir, {.depth = prep::VerifyDepth::headers, .jobs = 0}),
                     cfg.data_dir);
  Kits19Dataset train(split.train, cfg.cache_dataset);
  Kits19Dataset validation(split.validation, cfg.cache_dataset);
  return {std::move(split), std::move(train), std::move(validation)};
}

void log_unet3d_init(mllog::Logger& log, const Unet3dConfig& cfg, const DataParallelRun& run,
                     const Kits19Split& split, Unet3D& model) {
  log.event(mllog::key::kCacheClear, true);
  log.start(mllog::key::kInitStart);
  const prep::OfficialDataStatus official = prep::kits19_official_status(cfg.data_dir);
  const std::string division = resolve_unet3d_division(cfg, official);
  if (run.env().rank == 0) {
    for (const auto& note : cfg.notes) fmt::print(stderr, "unet3d_kits19: note: {}\n", note);
    if (!official.official && cfg.submission_division == "auto") {
      fmt::print(stderr,
                 "unet3d_kits19: note: submission_division open ({} train / {} eval cases): {}\n",
                 split.train.size(), split.validation.size(), official.reason);
    }
  }
  log_unet3d_config(log, cfg, run.seed(), run.shape(), division, run.platform());
  for (const auto& [name, tensors] : model->initialization_groups()) {
    log.event(mllog::key::kWeightsInitialization, nullptr, {{"tensor", name}});
  }
}

std::unique_ptr<torch::optim::Optimizer> make_unet3d_optimizer(const Unet3dConfig& cfg,
                                                               Unet3D& model) {
  return make_optimizer(
      {cfg.optimizer, cfg.learning_rate, cfg.momentum, cfg.weight_decay, cfg.lamb_betas},
      model->parameters());
}

CaseScore score_unet3d_case(Unet3D& model, const Sample& sample,
                            const SlidingWindowOptions& window) {
  const auto predict = [&](const at::Tensor& x) { return model->forward(x); };
  const SlidingWindowResult r = sliding_window_inference(predict, sample.image.unsqueeze(0),
                                                         sample.label.unsqueeze(0), window);
  return {dice_score(r.logits_NCDHW, r.label_N1DHW),
          dice_ce_loss(r.logits_NCDHW, r.label_N1DHW).item<double>()};
}

TrainingPlan make_unet3d_plan(const Unet3dConfig& cfg, DataParallelRun& run, Unet3D model,
                              torch::optim::Optimizer& optimizer, const Unet3dData& data) {
  TrainingPlan plan = recipe_plan(cfg, run);
  plan.optimizer = &optimizer;
  plan.schedule = std::make_shared<EpochLrSchedule>(
      EpochLrScheduleOptions{cfg.learning_rate, cfg.init_learning_rate, cfg.lr_warmup_epochs,
                             cfg.lr_decay_epochs, cfg.lr_decay_factor});
  plan.batching = {.batch_size = static_cast<std::size_t>(cfg.batch_size),
                   .num_workers = static_cast<int>(cfg.num_workers),
                   .transform = make_kits19_train_transforms(cfg.input_shape, cfg.oversampling,
                                                             cfg.brightness_quirk)};
  const SlidingWindowOptions window{.roi = cfg.val_input_shape,
                                    .overlap = cfg.overlap,
                                    .windows_per_batch = cfg.windows_per_batch};
  plan.score_case = [model, window](const Sample& sample) mutable {
    return score_unet3d_case(model, sample, window);
  };
  plan.log_rules = mllog::training_rules();

  const int world = run.context().world_size();
  const int64_t samples_per_epoch =
      global_samples_per_epoch(data.train.size(), plan.batching, world);
  TrainerOptions& o = plan.options;
  o.max_epochs = cfg.epochs;
  o.evaluate_every =
      cfg.evaluate_every > 0 ? cfg.evaluate_every : default_evaluate_every(samples_per_epoch);
  o.start_eval_at =
      cfg.start_eval_at > 0 ? cfg.start_eval_at : default_start_eval_at(samples_per_epoch);
  o.ga_steps = cfg.ga_steps;
  o.run_start_events = unet3d_run_start_events(cfg, static_cast<int64_t>(data.train.size()),
                                               static_cast<int64_t>(data.validation.size()),
                                               samples_per_epoch, world);
  // The reference's divergence rule: an evaluation below 1e-6 ends the run.
  o.abort_rule = [](const EvalResult& r) -> std::optional<std::string> {
    if (r.quality >= 1e-6) return std::nullopt;
    return std::string("diverged (eval quality below 1e-06)");
  };
  return plan;
}

}  // namespace segbench
