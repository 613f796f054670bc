#include "segbench/recipes/deepcam/setup.hpp"

#include <ATen/ATen.h>
#include <torch/optim/optimizer.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <system_error>

#include "segbench/data/cam5_dataset.hpp"
#include "segbench/dist/gradient_sync.hpp"
#include "segbench/error.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/prep/dataset_verification.hpp"
#include "segbench/recipes/common/data_check_on_rank0.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/recipes/deepcam/events.hpp"
#include "segbench/train/optimizer_factory.hpp"

namespace segbench {

DeepcamDatasets open_deepcam_datasets(const DeepcamConfig& c) {
  const auto stats = c.data_dir / "stats.h5";
  const std::vector<int> channels(c.channels.begin(), c.channels.end());
  if (c.data_format == "npy") {
    Cam5NpyDataset train(list_cam5_npy_samples(c.data_dir / "train"), stats, channels);
    Cam5NpyDataset validation(list_cam5_npy_samples(c.data_dir / "validation"), stats, channels);
    std::vector<std::filesystem::path> files;
    for (const Cam5NpyDataset* set : {&train, &validation}) {
      for (std::size_t i = 0; i < set->size(); ++i) {
        files.push_back(set->file(i));
        files.push_back(set->label_file(i));
      }
    }
    return {AnyDataset(std::move(train)), AnyDataset(std::move(validation)), std::move(files)};
  }
  Cam5Hdf5Dataset train(list_cam5_samples(c.data_dir / "train"), stats, channels);
  Cam5Hdf5Dataset validation(list_cam5_samples(c.data_dir / "validation"), stats, channels);
  std::vector<std::filesystem::path> files;
  for (const Cam5Hdf5Dataset* set : {&train, &validation}) {
    for (std::size_t i = 0; i < set->size(); ++i) files.push_back(set->file(i));
  }
  return {AnyDataset(std::move(train)), AnyDataset(std::move(validation)), std::move(files)};
}

void add_deepcam_staging(TrainingPlan& plan, const DeepcamDatasets& data, AnyContext& ctx) {
  plan.options.stage = [files = data.files, &ctx]() -> nlohmann::json {
    double count = 0, bytes = 0;
    for (std::size_t i = static_cast<std::size_t>(ctx.rank()); i < files.size();
         i += static_cast<std::size_t>(ctx.world_size())) {
      std::error_code error;
      const auto size = std::filesystem::file_size(files[i], error);
      SEGBENCH_CHECK(!error, DataError, "rank {}: staging: {} is not readable ({})", ctx.rank(),
                     files[i].string(), error.message());
      count += 1;
      bytes += static_cast<double>(size);
    }
    return {{"staged_files", static_cast<int64_t>(ctx.allreduce_sum(count))},
            {"staged_bytes", static_cast<int64_t>(ctx.allreduce_sum(bytes))}};
  };
}

StepLrScheduleOptions deepcam_lr_options(const DeepcamConfig& c) {
  StepLrScheduleOptions o;
  o.base_lr = c.start_lr;
  o.kind = step_lr_kind_from_string(c.lr_schedule);
  o.milestones = c.lr_milestones;
  o.decay_rate = c.lr_decay_rate;
  o.t_max = std::max<int64_t>(1, c.lr_t_max);
  o.eta_min = c.lr_eta_min;
  o.warmup_steps = c.lr_warmup_steps;
  o.warmup_factor = c.lr_warmup_factor;
  o.corrected = c.corrected_schedule;
  return o;
}

DeepLabV3PlusOptions deepcam_model_options(const DeepcamConfig& c) {
  return DeepLabV3PlusOptions{
      .in_channels = static_cast<int64_t>(c.channels.size()), .n_classes = 3, .width = c.width};
}

DeepcamDatasets stage_deepcam_data(mllog::Logger& log, const DeepcamConfig& c,
                                   const DataParallelRun& run, AnyContext& ctx) {
  namespace key = mllog::key;
  log.start(key::kInitStart);
  log.event(key::kCacheClear, nullptr);
  if (c.data_format == "hdf5") {
    // Headers and counts only; a real-shape part of the data (a mini set) is allowed here, the
    // division already requires the whole split.
    const auto start = std::chrono::steady_clock::now();
    require_valid_data_on_rank0(
        ctx,
        [&] {
          return prep::verify_cam5(
              c.data_dir, {.depth = prep::VerifyDepth::headers, .jobs = 0, .real_counts = false});
        },
        c.data_dir);
    if (ctx.rank() == 0) {
      fmt::print(stderr, "deepcam_climate: start-up data check of {} on rank 0: {:.2f} s\n",
                 c.data_dir.string(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  }
  DeepcamDatasets data = open_deepcam_datasets(c);
  const auto train_samples = static_cast<int64_t>(data.train.size());
  const auto eval_samples = static_cast<int64_t>(data.validation.size());
  log_deepcam_submission(log, c, resolve_deepcam_division(c, train_samples, eval_samples),
                         run.platform());
  log_deepcam_config(log, c, run.seed(), run.shape());
  log.event(key::kTrainSamples, train_samples);
  log.event(key::kEvalSamples, eval_samples);
  return data;
}

std::vector<std::pair<std::string, std::string>> deepcam_dry_run_facts(const DeepcamConfig& c,
                                                                       const DataParallelRun& run,
                                                                       DeepLabV3Plus& model) {
  const int64_t first = run.env().rank / c.batchnorm_group_size * c.batchnorm_group_size;
  std::vector<std::pair<std::string, std::string>> facts{
      {"batchnorm layers", std::to_string(model->batch_norm_count())},
      {"parameters", std::to_string(count_parameters(*model))},
      {"batchnorm statistics", c.batchnorm_group_size == 1
                                   ? std::string("per rank")
                                   : fmt::format("synchronised over ranks {}-{}", first,
                                                 first + c.batchnorm_group_size - 1)}};
  // Which reference the preset reproduces and the resolved values ("preset X: ...",
  // "resolved: k=v ...").
  for (const std::string& line : deepcam_preset_provenance(c)) {
    const auto colon = line.find(": ");
    facts.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  }
  return facts;
}

void set_deepcam_batchnorm_groups(const DeepcamConfig& c, AnyContext& ctx, DeepLabV3Plus& model) {
  if (c.batchnorm_group_size <= 1) return;
  model->set_batchnorm_group(
      std::make_shared<AnyContext>(batchnorm_group(ctx, static_cast<int>(c.batchnorm_group_size))));
}

AnyContext batchnorm_group(AnyContext& ctx, int group_size) {
  SEGBENCH_CHECK(group_size >= 1 && ctx.world_size() % group_size == 0, ConfigError,
                 "rank {}/{}: --batchnorm_group_size {} must divide the number of ranks {}",
                 ctx.rank(), ctx.world_size(), group_size, ctx.world_size());
  return ctx.subgroup(group_size);
}

MeanIouTarget deepcam_target(const DeepcamConfig& c) {
  return MeanIouTarget(c.corrected_iou ? corrected_mean_iou(c.target_iou)
                                       : reference_mean_iou(c.target_iou));
}

std::unique_ptr<torch::optim::Optimizer> make_deepcam_optimizer(const DeepcamConfig& c,
                                                                DeepLabV3Plus& model) {
  return make_optimizer({.name = c.optimizer,
                         .learning_rate = c.start_lr,
                         .weight_decay = c.weight_decay,
                         .betas = c.betas,
                         .eps = c.eps,
                         .max_grad_norm = c.max_grad_norm},
                        model->parameters());
}

CaseScore score_deepcam_sample(DeepLabV3Plus& model, const Sample& sample,
                               const MeanIouTarget& target) {
  const at::Tensor logits = model->forward(sample.image.unsqueeze(0));
  const at::Tensor label = sample.label.unsqueeze(0);
  return {target.sample_values(logits, label).at(0), deepcam_ce_loss(logits, label).item<double>()};
}

TrainingPlan make_deepcam_plan(const DeepcamConfig& c, DataParallelRun& run, DeepLabV3Plus model,
                               torch::optim::Optimizer& optimizer, const MeanIouTarget& target) {
  TrainingPlan plan = recipe_plan(c, run);
  plan.optimizer = &optimizer;
  plan.schedule = std::make_shared<StepLrSchedule>(deepcam_lr_options(c));
  // The reference's DataLoader: num_workers = min(max_inter_threads, local batch size).
  plan.batching = {.batch_size = static_cast<std::size_t>(c.local_batch_size),
                   .num_workers = static_cast<int>(std::min(c.num_workers, c.local_batch_size))};
  plan.score_case = [model, &target](const Sample& sample) mutable {
    return score_deepcam_sample(model, sample, target);
  };
  plan.train_accuracy = [](const at::Tensor& logits, const at::Tensor& label) {
    return batch_mean_iou(logits, label);
  };
  AnyContext& ctx = run.context();
  plan.end_of_epoch = [model, &ctx] { average_floating_tensors(model->buffers(), ctx); };
  plan.log_rules = mllog::hpc_rules();

  TrainerOptions& o = plan.options;
  o.max_epochs = c.max_epochs;
  o.ga_steps = c.gradient_accumulation_frequency;
  o.log_every_iterations = c.logging_frequency;
  return plan;
}

}  // namespace segbench
