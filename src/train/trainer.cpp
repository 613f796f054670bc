#include "segbench/train/trainer.hpp"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "segbench/error.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/train/checkpoint.hpp"
#include "segbench/train/optimizer_factory.hpp"

namespace segbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long>(std::max(0.0, seconds));
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

bool is_eval_epoch(int64_t epoch, int64_t start, int64_t every) {
  return epoch >= start && (epoch - start) % every == 0;
}

}  // namespace

SegmentationTrainer::SegmentationTrainer(TrainerParts parts, TrainerOptions options)
    : parts_(std::move(parts)), options_(std::move(options)) {
  SEGBENCH_CHECK(parts_.model && parts_.forward && parts_.optimizer && parts_.loss &&
                     parts_.train_batches && parts_.evaluate && parts_.log,
                 ConfigError,
                 "trainer: model, forward, optimizer, loss, batches, evaluate and "
                 "log must all be set");
  SEGBENCH_CHECK(options_.evaluate_every >= 1 && options_.start_eval_at >= 1, ConfigError,
                 "trainer: evaluate_every ({}) and start_eval_at ({}) must be >= 1",
                 options_.evaluate_every, options_.start_eval_at);
  SEGBENCH_CHECK(options_.ga_steps >= 1, ConfigError, "trainer: ga_steps must be >= 1, got {}",
                 options_.ga_steps);
  if (!parts_.reduce_gradients) parts_.reduce_gradients = [] {};
  if (!parts_.average_over_ranks) parts_.average_over_ranks = [](double v) { return v; };
}

void SegmentationTrainer::report(const std::string& line) const {
  if (options_.progress && options_.is_main_rank) *options_.progress << line << std::endl;
}

SegmentationTrainer::EpochStats SegmentationTrainer::train_one_epoch(int64_t epoch) {
  auto& model = *parts_.model;
  auto& optimizer = *parts_.optimizer;
  model.train(true);
  parts_.train_batches->start_epoch(epoch);
  at::Tensor image, label;
  EpochStats stats;
  double loss_sum = 0.0;
  int64_t iteration = 0;
  while (parts_.train_batches->next(image, label)) {
    at::Tensor loss;
    at::Tensor logits;
    if (parts_.training_loss) {
      loss = parts_.training_loss(image, label);
    } else {
      logits = parts_.forward(image);
      loss = parts_.loss(logits, label);
    }
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      throw TrainingError(fmt::format(
          "non-finite training loss ({}) at epoch {} iteration {}: the run diverged; no "
          "checkpoint was written for this epoch",
          value, epoch, iteration));
    }
    const bool will_step = (iteration + 1) % options_.ga_steps == 0;
    if (parts_.before_backward) parts_.before_backward(will_step);
    (loss / static_cast<double>(options_.ga_steps)).backward();
    if (will_step) {
      parts_.reduce_gradients();
      if (options_.lr_at_step) set_learning_rate(optimizer, options_.lr_at_step(optimizer_steps_));
      optimizer.step();
      optimizer.zero_grad();
      ++optimizer_steps_;
    }
    loss_sum += value;
    stats.last_loss = value;
    if (parts_.train_accuracy && logits.defined()) {
      stats.last_accuracy = parts_.train_accuracy(logits.detach(), label);
    }
    ++iteration;
  }
  SEGBENCH_CHECK(iteration > 0, ConfigError,
                 "epoch {} had no training batch (fewer training cases than the batch size?)",
                 epoch);
  if (parts_.end_of_epoch) parts_.end_of_epoch();
  stats.loss = parts_.average_over_ranks(loss_sum / static_cast<double>(iteration));
  return stats;
}

TrainOutcome SegmentationTrainer::fit() {
  namespace key = mllog::key;
  auto& log = *parts_.log;
  auto& optimizer = *parts_.optimizer;
  TrainOutcome outcome;

  int64_t first_epoch = 1;
  if (!options_.resume_from.empty()) {
    const CheckpointState state = load_checkpoint(options_.resume_from, *parts_.model, optimizer);
    SEGBENCH_CHECK(state.seed == options_.seed, ConfigError,
                   "checkpoint {} was written by a run with seed {}, this run has seed {}",
                   options_.resume_from.string(), state.seed, options_.seed);
    first_epoch = state.epoch + 1;
    optimizer_steps_ = state.epoch *
                       static_cast<int64_t>(parts_.train_batches->batches_per_epoch()) /
                       options_.ga_steps;
    outcome.last_quality = state.last_quality;
    report(
        fmt::format("resumed from {} after epoch {}", options_.resume_from.string(), state.epoch));
  }

  const auto run_start = Clock::now();
  log.start(key::kRunStart);
  for (const auto& [k, v] : options_.run_start_events) log.event(k, v);

  const auto save = [&](int64_t epoch) {
    if (options_.checkpoint_path.empty() || !options_.is_main_rank) return;
    save_checkpoint(options_.checkpoint_path, *parts_.model, optimizer,
                    {epoch, outcome.last_quality, options_.seed});
  };

  outcome.reason = "max epochs reached";
  double epoch_seconds_sum = 0.0;
  int64_t epochs_timed = 0;
  double best_quality = -std::numeric_limits<double>::infinity();
  int64_t evals_since_best = 0;
  for (int64_t epoch = first_epoch; epoch <= options_.max_epochs; ++epoch) {
    if (options_.lr_at_epoch) {
      set_learning_rate(optimizer, options_.lr_at_epoch(epoch));
    } else if (!options_.lr_at_step) {
      set_learning_rate(optimizer, options_.schedule.lr_for_epoch(epoch));
    }
    if (options_.log_blocks) {
      log.start(key::kBlockStart, nullptr, {{"first_epoch_num", epoch}, {"epoch_count", 1}});
    }
    nlohmann::json epoch_meta = {{"epoch_num", epoch}};
    if (options_.log_hpc_epoch_metrics) epoch_meta["step_num"] = optimizer_steps_;
    log.start(key::kEpochStart, nullptr, epoch_meta);
    const auto epoch_start = Clock::now();
    EpochStats epoch_stats;
    try {
      epoch_stats = train_one_epoch(epoch);
    } catch (const TrainingError&) {
      log.end(key::kRunStop, nullptr, {{"status", "aborted"}});
      throw;
    }
    const double train_loss = epoch_stats.loss;
    const double lr = learning_rate(optimizer);
    const double seconds = seconds_since(epoch_start);
    nlohmann::json step_meta = {{"epoch_num", epoch}, {"step_num", optimizer_steps_}};
    if (options_.log_hpc_epoch_metrics) {
      log.event(key::kLearningRate, lr, step_meta);
      if (epoch_stats.last_accuracy >= 0) {
        log.event(key::kTrainAccuracy, epoch_stats.last_accuracy, step_meta);
      }
      log.event(key::kTrainLoss, epoch_stats.last_loss, step_meta);
    } else {
      // The training rules close the epoch before evaluation (SPEC §1.9).
      log.end(key::kEpochStop, nullptr, {{"epoch_num", epoch}, {"current_lr", lr}});
    }
    epoch_seconds_sum += seconds;
    ++epochs_timed;
    outcome.train_seconds += seconds;
    outcome.samples_trained +=
        static_cast<double>(parts_.train_batches->batches_per_epoch() * options_.samples_per_step);
    outcome.epochs_run = epoch;
    const double samples =
        static_cast<double>(parts_.train_batches->batches_per_epoch() * options_.samples_per_step);
    const double eta = epoch_seconds_sum / epochs_timed * (options_.max_epochs - epoch);
    report(
        fmt::format("epoch {:>4}/{} loss {:.4f} lr {:.6g} {:.2f} samples/s {:.1f} s "
                    "elapsed {} eta(max) {}",
                    epoch, options_.max_epochs, train_loss, lr, samples / seconds, seconds,
                    format_duration(seconds_since(run_start)), format_duration(eta)));

    bool stop = false;
    if (is_eval_epoch(epoch, options_.start_eval_at, options_.evaluate_every)) {
      log.start(key::kEvalStart, epoch, {{"epoch_num", epoch}});
      const auto eval_begin = Clock::now();
      const EvalResult result = parts_.evaluate(epoch);
      log.event(key::kEvalAccuracy, result.quality,
                options_.log_hpc_epoch_metrics ? step_meta : nlohmann::json{{"epoch_num", epoch}});
      if (options_.log_hpc_epoch_metrics) log.event(key::kEvalLoss, result.loss, step_meta);
      outcome.last_quality = result.quality;
      std::string classes;
      for (double s : result.class_scores) classes += fmt::format(" {:.4f}", s);
      report(
          fmt::format("  eval epoch {:>4}: {} {:.4f} (target {}) per-class [{} ] loss "
                      "{:.4f} cases {} {:.1f} s",
                      epoch, options_.quality_name, result.quality, options_.quality_target,
                      classes, result.loss, result.cases, seconds_since(eval_begin)));
      if (result.quality > best_quality) {
        best_quality = result.quality;
        evals_since_best = 0;
      } else {
        ++evals_since_best;
      }
      if (result.quality >= options_.quality_target) {
        outcome.status = RunStatus::success;
        outcome.reason = "quality target reached";
        if (options_.log_hpc_epoch_metrics) {
          log.event(key::kTargetAccuracyReached, options_.quality_target, step_meta);
        }
        stop = true;
      } else if (!(result.quality >= options_.diverged_below)) {
        outcome.status = RunStatus::aborted;
        outcome.reason = fmt::format("diverged (eval quality below {})", options_.diverged_below);
        stop = true;
      } else if (options_.early_stop_patience > 0 && epoch >= options_.min_epochs &&
                 evals_since_best >= options_.early_stop_patience) {
        outcome.status = RunStatus::aborted;
        outcome.reason =
            fmt::format("early stopping: no improvement in {} evaluations (best {:.4f})",
                        evals_since_best, best_quality);
        stop = true;
      }
      log.end(key::kEvalStop, nullptr, {{"epoch_num", epoch}});
    }
    if (options_.log_hpc_epoch_metrics) log.end(key::kEpochStop, nullptr, step_meta);
    if (options_.log_blocks) {
      log.end(key::kBlockStop, nullptr, {{"first_epoch_num", epoch}, {"epoch_count", 1}});
    }
    if (!stop && options_.checkpoint_every > 0 && epoch % options_.checkpoint_every == 0) {
      save(epoch);
    }
    if (stop) break;
    if (options_.stop_requested &&
        parts_.average_over_ranks(options_.stop_requested() ? 1.0 : 0.0) > 0.0) {
      outcome.reason = "stop requested (signal); continue with --resume";
      report(fmt::format("stop requested after epoch {}", epoch));
      break;
    }
  }
  outcome.seconds_to_stop = seconds_since(run_start);
  log.end(key::kRunStop, nullptr,
          {{"status", outcome.status == RunStatus::success ? "success" : "aborted"}});
  save(outcome.epochs_run);
  return outcome;
}

}  // namespace segbench
