#include "segbench/recipes/brats/setup.hpp"

#include <ATen/ATen.h>
#include <fmt/core.h>
#include <torch/optim/optimizer.h>
#include <torch/optim/sgd.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

#include "segbench/data/brats_split.hpp"
#include "segbench/error.hpp"
#include "segbench/inference/slice_inference.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/metrics/brats_dice.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/prep/dataset_verification.hpp"
#include "segbench/recipes/brats/events.hpp"
#include "segbench/recipes/common/data_check.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/train/autocast_scope.hpp"
#include "segbench/train/epoch_lr_policy.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "segbench/transforms/layout_2d.hpp"

namespace segbench {

BratsData open_brats_data(const BratsConfig& c) {
  SEGBENCH_CHECK(!c.benchmark, ConfigError,
                 "--benchmark: HAB's throughput mode ({} epochs of --train_batches {} steps, no "
                 "validation, images/s after --warmup {} steps) is not implemented: the trainer "
                 "has no per-epoch step limit. Train with --max_epochs instead: every epoch line "
                 "reports images/s",
                 c.max_epochs, c.train_batches, c.warmup);
  const auto config_path = c.data_dir / "config.json";
  std::ifstream in(config_path);
  SEGBENCH_CHECK(in.good(), DataError,
                 "{}: cannot open the preprocessing record (run segbench-data brats-preprocess)",
                 config_path.string());
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON: {}", config_path.string(), e.what()));
  }
  for (const char* key : {"in_channels", "n_class", "patch_size"}) {
    SEGBENCH_CHECK(record.contains(key), DataError, "{}: missing \"{}\"", config_path.string(),
                   key);
  }
  const auto patch = record["patch_size"].get<std::vector<int64_t>>();
  SEGBENCH_CHECK(patch.size() == 2 && patch[0] == c.patch[0] && patch[1] == c.patch[1], ConfigError,
                 "{}: the data was preprocessed to patch {}×{}, the run asks for --patch {} {}",
                 config_path.string(), patch.size() > 0 ? patch[0] : 0,
                 patch.size() > 1 ? patch[1] : 0, c.patch[0], c.patch[1]);
  const auto in_channels = record["in_channels"].get<int64_t>();
  const auto n_class = record["n_class"].get<int64_t>();
  BratsFold fold = kfold_split(list_preprocessed_brats_cases(c.data_dir),
                               static_cast<int>(c.nfolds), static_cast<int>(c.fold));
  require_valid_data(
      prep::verify_brats_preprocessed(c.data_dir, {.depth = prep::VerifyDepth::headers, .jobs = 0}),
      c.data_dir);
  return {BratsDataset(c.data_dir, std::move(fold.train), c.cache_dataset, in_channels),
          BratsDataset(c.data_dir, std::move(fold.validation), c.cache_dataset, in_channels),
          in_channels, n_class};
}

Unet2DOptions brats_model_options(const BratsConfig& c, int64_t in_channels, int64_t n_class) {
  Unet2DOptions o;
  o.in_channels = in_channels;
  o.n_class = n_class;
  o.filters = c.filters;
  o.patch = c.patch;
  o.deep_supervision = c.deep_supervision;
  o.norm = c.norm;
  o.negative_slope = c.negative_slope;
  o.fast_upsample = c.fast_upsample;
  return o;
}

BratsAugmentOptions brats_augment_options(const BratsConfig& c) {
  BratsAugmentOptions o;
  o.crop = {slices_per_volume(c), c.patch[0], c.patch[1]};
  o.oversampling = c.oversampling;
  o.augment = c.augment;
  return o;
}

void log_brats_init(mllog::Logger& log, const BratsConfig& c, const DataParallelRun& run,
                    const BratsData& data) {
  if (run.env().rank == 0) {
    for (const auto& note : c.notes) fmt::print(stderr, "unet2d_brats: note: {}\n", note);
  }
  log_brats_submission(log);
  log.start(mllog::key::kInitStart);
  log_brats_config(log, c, run.seed(), run.shape(), static_cast<int64_t>(data.train.size()),
                   static_cast<int64_t>(data.validation.size()));
}

std::unique_ptr<torch::optim::Optimizer> make_brats_optimizer(const BratsConfig& c, Unet2D& model) {
  if (c.optimizer == "sgd") {
    // HAB models/nn_unet.py: SGD(lr, momentum) — no Nesterov, no weight decay (the shared
    // factory's sgd is REF3D's Nesterov SGD).
    return std::make_unique<torch::optim::SGD>(
        model->parameters(), torch::optim::SGDOptions(c.learning_rate).momentum(c.momentum));
  }
  return make_optimizer({.name = c.optimizer,
                         .learning_rate = c.learning_rate,
                         .weight_decay = c.weight_decay,
                         .betas = c.betas,
                         .eps = c.eps},
                        model->parameters());
}

CaseScore score_brats_volume(Unet2D& model, const Sample& sample, int64_t slices_per_batch) {
  const auto predict = [&](const at::Tensor& x) { return model->forward(x); };
  // (1, K, D, H, W) → the volume's D slices as a batch of 2-D logits (D, K, H, W).
  const at::Tensor logits =
      slice_inference(sample.image, predict, slices_per_batch).squeeze(0).transpose(0, 1);
  const at::Tensor label = sample.label.transpose(0, 1);  // (D, 1, H, W)
  return {brats_volume_dice_from_logits(logits, label),
          nnunet_dice_ce_loss(logits, label).item<double>()};
}

TrainingPlan make_brats_plan(const BratsConfig& c, DataParallelRun& run, Unet2D model,
                             torch::optim::Optimizer& optimizer) {
  TrainingPlan plan = recipe_plan(c, run);
  plan.optimizer = &optimizer;
  plan.schedule = std::make_shared<EpochLrPolicy>(EpochLrPolicyOptions{.type = c.scheduler,
                                                                       .base_lr = c.learning_rate,
                                                                       .milestones = c.steps,
                                                                       .factor = c.factor,
                                                                       .max_epochs = c.max_epochs,
                                                                       .patience = c.lr_patience});
  plan.batching = {.batch_size = static_cast<std::size_t>(c.nvol),
                   .num_workers = static_cast<int>(c.num_workers),
                   .transform = make_brats_train_transforms(brats_augment_options(c)),
                   .samples_per_batch = c.batch_size};
  const int64_t slices_per_batch = c.val_batch_size;
  plan.score_case = [model, slices_per_batch](const Sample& sample) mutable {
    return score_brats_volume(model, sample, slices_per_batch);
  };
  // The run's --amp (auto: bf16 on CUDA) and --channels_last, applied to the 2-D slices.
  const Precision precision = run.precision();
  const at::DeviceType device = run.device().type();
  plan.training_step = [model, precision, device](const at::Tensor& blocks,
                                                  const at::Tensor& labels) mutable -> StepLoss {
    at::Tensor slices = layout_2d(blocks);
    if (precision.channels_last) slices = slices.contiguous(at::MemoryFormat::ChannelsLast);
    std::vector<at::Tensor> outputs;
    {
      const AutocastScope autocast(device, precision.bf16_autocast);
      outputs = model->forward_all(slices);
    }
    return {nnunet_deep_supervision_loss(outputs, layout_2d(labels))};
  };
  plan.log_rules = mllog::training_rules_without_blocks();

  TrainerOptions& o = plan.options;
  o.max_epochs = c.max_epochs;
  if (c.early_stopping) {
    o.early_stop_patience = c.patience;
    o.min_epochs = c.min_epochs;
  }
  return plan;
}

}  // namespace segbench
