// train(): the library's training entry point. A model, a training and a validation set, a
// loss, a quality target and a distributed context, each checked against its concept, plus a
// TrainingPlan (optimizer, learning-rate schedule, batching, how a validation case is scored,
// log rules). The template only adapts the types; the loop is compiled once (trainer.cpp).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/module.h>

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "segbench/concepts/dataset.hpp"
#include "segbench/concepts/distributed.hpp"
#include "segbench/concepts/model.hpp"
#include "segbench/concepts/quality_target.hpp"
#include "segbench/data/loader.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/dist/gradient_sync.hpp"
#include "segbench/error.hpp"
#include "segbench/train/autocast_scope.hpp"
#include "segbench/train/memory_check.hpp"
#include "segbench/train/precision.hpp"
#include "segbench/train/sharded_evaluation.hpp"
#include "segbench/train/trainer.hpp"

namespace segbench {

/// How training batches are drawn from the training set (EpochSampler + PrefetchLoader).
struct BatchingOptions {
  std::size_t batch_size = 1;  ///< per rank
  int num_workers = 0;         ///< loader threads (0: load in the training thread)
  TransformFn transform{};     ///< per-sample augmentation; empty: none
  bool shuffle = true;
  bool drop_last = true;
  /// What one batch counts as in the throughput figures (0: batch_size), e.g. the 2-D slices
  /// of a batch of 3-D crops.
  int64_t samples_per_batch = 0;
};

/// What a recipe (or a research code) decides about a run besides the five concepts.
struct TrainingPlan {
  /// Where the model lives (DataParallelRun::place_model put it there): batches and
  /// validation cases are copied to it.
  c10::Device device{c10::kCPU};
  /// bf16 autocast of the forward passes (the default step's and score_case's; a custom
  /// training_step decides its own), channels-last batches.
  Precision precision;
  torch::optim::Optimizer* optimizer = nullptr;  ///< over the model's parameters
  std::shared_ptr<LearningRateSchedule> schedule;
  BatchingOptions batching;
  /// Scores one validation case (model in eval mode, no gradients): the scores the quality
  /// target's update() takes, and the case's loss.
  std::function<CaseScore(const Sample&)> score_case;
  GradientSyncMode grad_sync = GradientSyncMode::after_backward;
  std::size_t bucket_bytes = std::size_t{25} << 20;
  /// Optional: the training loss of a batch when it is not loss(model->forward(image), label)
  /// (deep supervision, autocast, another layout).
  std::function<StepLoss(const at::Tensor& image, const at::Tensor& label)> training_step;
  /// Optional: a batch's training accuracy from its logits (logged by the HPC rules).
  std::function<double(const at::Tensor& logits, const at::Tensor& label)> train_accuracy;
  /// Optional: after each epoch's last step (e.g. averaging BatchNorm statistics over ranks).
  std::function<void()> end_of_epoch;
  mllog::Logger* log = nullptr;
  std::shared_ptr<const mllog::EpochLogRules> log_rules;
  /// Epochs, evaluation cadence, checkpoints, stop rules. samples_per_step and is_main_rank
  /// are filled in by train().
  TrainerOptions options;
};

/// Global samples per epoch for a training set of `dataset_size` cases (what the loader of
/// train() yields over all ranks).
inline int64_t global_samples_per_epoch(std::size_t dataset_size, const BatchingOptions& batching,
                                        int world_size) {
  const EpochSampler sampler(dataset_size, 0, 0, world_size, batching.shuffle, batching.drop_last,
                             batching.batch_size);
  return static_cast<int64_t>(sampler.batches_per_epoch() * batching.batch_size) * world_size;
}

/// Trains `model` on `train_set` until `target` is reached on `validation_set` (or the plan's
/// epoch budget or stop rules end the run). Every rank calls it with its own context; the
/// model must hold the same weights on every rank (DataParallelRun::place_model).
template <Model M, Dataset TrainSet, Dataset ValidationSet, class Loss, QualityTarget Q,
          DistributedContext C>
requires std::is_invocable_r_v<at::Tensor, Loss&, const at::Tensor&, const at::Tensor&> TrainOutcome
train(M& model, const TrainSet& train_set, const ValidationSet& validation_set, Loss loss,
      Q& target, C& ctx, TrainingPlan plan) {
  SEGBENCH_CHECK(plan.optimizer && plan.schedule && plan.score_case && plan.log && plan.log_rules,
                 ConfigError,
                 "train: the plan needs an optimizer, a schedule, score_case, a log and log rules");
  std::optional<AnyContext> borrowed;
  AnyContext* any = nullptr;
  if constexpr (std::same_as<C, AnyContext>) {
    any = &ctx;
  } else {
    any = &borrowed.emplace(AnyContext::borrow(ctx));
  }
  const BatchingOptions& batching = plan.batching;
  const auto seed = static_cast<std::uint64_t>(plan.options.seed);
  if (train_set.size() > 0) {
    // One transformed sample's size, times the batch: refused at once if even that cannot fit.
    Rng probe_rng(seed);
    Sample probe = train_set.get(0);
    if (batching.transform) probe = batching.transform(std::move(probe), probe_rng);
    check_batch_fits(probe.image.nbytes() + probe.label.nbytes(), batching.batch_size,
                     available_host_memory());
  }
  PrefetchLoader<TrainSet> loader(
      train_set,
      EpochSampler(train_set.size(), seed, ctx.rank(), ctx.world_size(), batching.shuffle,
                   batching.drop_last, batching.batch_size),
      batching.batch_size,
      batching.transform ? batching.transform : TransformFn([](Sample s, Rng&) { return s; }), seed,
      batching.num_workers);
  DeviceBatchSource batches(loader, plan.device, plan.precision.channels_last);
  GradientAverager gradients(model->parameters(), *any, plan.bucket_bytes, plan.grad_sync);

  TrainingLoop loop;
  loop.model = model.ptr();
  loop.optimizer = plan.optimizer;
  loop.schedule = plan.schedule.get();
  loop.batches = &batches;
  if (plan.training_step) {
    loop.step = plan.training_step;
  } else {
    loop.step = [&](const at::Tensor& image, const at::Tensor& label) {
      at::Tensor logits;
      {
        const AutocastScope autocast(plan.device.type(), plan.precision.bf16_autocast);
        logits = model->forward(image);
      }
      // The loss in fp32, outside autocast, whatever the forward pass computed in.
      StepLoss out{loss(logits.to(at::kFloat), label)};
      if (plan.train_accuracy) out.accuracy = plan.train_accuracy(logits.detach(), label);
      return out;
    };
  }
  loop.evaluate = [&](int64_t) {
    return evaluate_sharded(validation_set, target, ctx, [&](const Sample& sample) {
      const AutocastScope autocast(plan.device.type(), plan.precision.bf16_autocast);
      if (plan.device.is_cpu()) return plan.score_case(sample);
      return plan.score_case(
          {sample.image.to(plan.device), sample.label.to(plan.device), sample.case_id});
    });
  };
  loop.target = {[&target](double q) { return static_cast<bool>(target.reached(q)); },
                 static_cast<double>(target.target()), std::string(target.name())};
  loop.gradients = {[&](bool will_step) { gradients.prepare_backward(will_step); },
                    [&] { gradients.average(); }};
  loop.average_over_ranks = [&](double v) { return ctx.allreduce_sum(v) / ctx.world_size(); };
  loop.end_of_epoch = plan.end_of_epoch;
  loop.log = plan.log;
  loop.log_rules = plan.log_rules;

  TrainerOptions options = std::move(plan.options);
  options.samples_per_step =
      (batching.samples_per_batch > 0 ? batching.samples_per_batch
                                      : static_cast<int64_t>(batching.batch_size)) *
      ctx.world_size();
  options.is_main_rank = ctx.rank() == 0;
  TrainOutcome outcome = SegmentationTrainer(std::move(loop), std::move(options)).fit();
  outcome.gradient_bytes_per_step = static_cast<double>(gradients.stats().bytes_per_step);
  outcome.gradient_seconds = gradients.stats().seconds;
  return outcome;
}

}  // namespace segbench
