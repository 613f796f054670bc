#include "segbench/train/trainer.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "segbench/error.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/mllog_rules.hpp"
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

SegmentationTrainer::SegmentationTrainer(TrainingLoop loop, TrainerOptions options)
    : loop_(std::move(loop)), options_(std::move(options)) {
  SEGBENCH_CHECK(loop_.model && loop_.optimizer && loop_.schedule && loop_.batches && loop_.step &&
                     loop_.evaluate && loop_.target.reached && loop_.log && loop_.log_rules,
                 ConfigError,
                 "trainer: model, optimizer, schedule, batches, step, evaluate, target, log and "
                 "log rules must all be set");
  SEGBENCH_CHECK(options_.evaluate_every >= 1 && options_.start_eval_at >= 1, ConfigError,
                 "trainer: evaluate_every ({}) and start_eval_at ({}) must be >= 1",
                 options_.evaluate_every, options_.start_eval_at);
  SEGBENCH_CHECK(options_.ga_steps >= 1, ConfigError, "trainer: ga_steps must be >= 1, got {}",
                 options_.ga_steps);
  SEGBENCH_CHECK(options_.log_every_iterations >= 0, ConfigError,
                 "trainer: log_every_iterations must be >= 0, got {}",
                 options_.log_every_iterations);
  if (!loop_.gradients.reduce) loop_.gradients.reduce = [] {};
  if (!loop_.average_over_ranks) loop_.average_over_ranks = [](double v) { return v; };
}

void SegmentationTrainer::report(const std::string& line) const {
  if (options_.progress && options_.is_main_rank) *options_.progress << line << std::endl;
}

SegmentationTrainer::EpochStats SegmentationTrainer::train_one_epoch(int64_t epoch) {
  auto& model = *loop_.model;
  auto& optimizer = *loop_.optimizer;
  model.train(true);
  loop_.batches->start_epoch(epoch);
  at::Tensor image, label;
  EpochStats stats;
  double loss_sum = 0.0;
  int64_t iteration = 0;
  while (loop_.batches->next(image, label)) {
    const StepLoss step = loop_.step(image, label);
    const double value = step.loss.item<double>();
    if (!std::isfinite(value)) {
      throw TrainingError(fmt::format(
          "non-finite training loss ({}) at epoch {} iteration {}: the run diverged; no "
          "checkpoint was written for this epoch",
          value, epoch, iteration));
    }
    const bool will_step = (iteration + 1) % options_.ga_steps == 0;
    if (loop_.gradients.before_backward) loop_.gradients.before_backward(will_step);
    (step.loss / static_cast<double>(options_.ga_steps)).backward();
    if (will_step) {
      loop_.gradients.reduce();
      set_learning_rate(optimizer, loop_.schedule->lr(epoch, optimizer_steps_));
      optimizer.step();
      optimizer.zero_grad();
      ++optimizer_steps_;
    }
    loss_sum += value;
    stats.last_loss = value;
    if (step.accuracy >= 0) stats.last_accuracy = step.accuracy;
    ++iteration;
    ++iterations_;
    if (options_.log_every_iterations > 0 && iterations_ % options_.log_every_iterations == 0) {
      // A collective: every rank runs the same number of iterations per epoch.
      loop_.log_rules->train_progress(
          *loop_.log,
          {.epoch = epoch,
           .optimizer_steps = optimizer_steps_,
           .iterations = iterations_,
           .learning_rate = learning_rate(optimizer),
           .last_loss = loop_.average_over_ranks(value),
           .last_accuracy = step.accuracy >= 0 ? loop_.average_over_ranks(step.accuracy) : -1.0});
    }
  }
  SEGBENCH_CHECK(iteration > 0, ConfigError,
                 "epoch {} had no training batch (fewer training cases than the batch size?)",
                 epoch);
  if (loop_.end_of_epoch) loop_.end_of_epoch();
  stats.loss = loop_.average_over_ranks(loss_sum / static_cast<double>(iteration));
  stats.last_loss = loop_.average_over_ranks(stats.last_loss);
  if (stats.last_accuracy >= 0) stats.last_accuracy = loop_.average_over_ranks(stats.last_accuracy);
  return stats;
}

EvalResult SegmentationTrainer::evaluate(int64_t epoch) {
  at::NoGradGuard no_grad;
  loop_.model->eval();
  EvalResult result = loop_.evaluate(epoch);
  loop_.model->train();
  loop_.schedule->observe(result.quality, result.loss);
  return result;
}

TrainOutcome SegmentationTrainer::fit() {
  namespace key = mllog::key;
  auto& log = *loop_.log;
  const auto& rules = *loop_.log_rules;
  auto& optimizer = *loop_.optimizer;
  TrainOutcome outcome;

  int64_t first_epoch = 1;
  if (!options_.resume_from.empty()) {
    const CheckpointState state = load_checkpoint(options_.resume_from, *loop_.model, optimizer);
    SEGBENCH_CHECK(state.seed == options_.seed, ConfigError,
                   "checkpoint {} was written by a run with seed {}, this run has seed {}",
                   options_.resume_from.string(), state.seed, options_.seed);
    // A finished run stays finished: saving at the end would rewrite its checkpoint as epoch 0.
    SEGBENCH_CHECK(state.epoch < options_.max_epochs, ConfigError,
                   "checkpoint {} is from epoch {} and this run stops after epoch {}: nothing "
                   "left to train, nothing changed (raise the epoch limit to train on)",
                   options_.resume_from.string(), state.epoch, options_.max_epochs);
    first_epoch = state.epoch + 1;
    iterations_ = state.epoch * static_cast<int64_t>(loop_.batches->batches_per_epoch());
    optimizer_steps_ = iterations_ / options_.ga_steps;
    outcome.last_quality = state.last_quality;
    report(
        fmt::format("resumed from {} after epoch {}", options_.resume_from.string(), state.epoch));
  }

  const auto run_start = Clock::now();
  log.start(key::kRunStart);  // a continued log drops it: the interrupted run's stands
  for (const auto& [k, v] : options_.run_start_events) log.event(k, v);
  if (!options_.resume_from.empty()) {
    log.event(key::kRunResumed, nullptr,
              {{"epoch_num", first_epoch - 1}, {"checkpoint", options_.resume_from.string()}});
  }
  if (options_.stage) {
    log.start(key::kStagingStart);
    const nlohmann::json staged = options_.stage();
    log.end(key::kStagingStop, nullptr, staged.is_object() ? staged : nlohmann::json::object());
  }

  const auto save = [&](int64_t epoch) {
    if (options_.checkpoint_path.empty() || !options_.is_main_rank) return;
    save_checkpoint(options_.checkpoint_path, *loop_.model, optimizer,
                    {epoch, outcome.last_quality, options_.seed});
  };

  outcome.reason = "max epochs reached";
  bool interrupted = false;  // by a stop signal
  double epoch_seconds_sum = 0.0;
  int64_t epochs_timed = 0;
  double best_quality = -std::numeric_limits<double>::infinity();
  int64_t evals_since_best = 0;
  const double samples_per_epoch = static_cast<double>(loop_.batches->batches_per_epoch()) *
                                   static_cast<double>(options_.samples_per_step);
  for (int64_t epoch = first_epoch; epoch <= options_.max_epochs; ++epoch) {
    set_learning_rate(optimizer, loop_.schedule->lr(epoch, optimizer_steps_));
    rules.epoch_start(
        log, {.epoch = epoch, .optimizer_steps = optimizer_steps_, .iterations = iterations_});
    const auto epoch_start = Clock::now();
    EpochStats epoch_stats;
    try {
      epoch_stats = train_one_epoch(epoch);
    } catch (const TrainingError&) {
      log.end(key::kRunStop, nullptr, {{"status", "aborted"}});
      throw;
    }
    const double seconds = seconds_since(epoch_start);
    const mllog::EpochRecord record{.epoch = epoch,
                                    .optimizer_steps = optimizer_steps_,
                                    .iterations = iterations_,
                                    .learning_rate = learning_rate(optimizer),
                                    .last_loss = epoch_stats.last_loss,
                                    .last_accuracy = epoch_stats.last_accuracy};
    rules.epoch_trained(log, record);
    epoch_seconds_sum += seconds;
    ++epochs_timed;
    outcome.train_seconds += seconds;
    outcome.samples_trained += samples_per_epoch;
    outcome.epochs_run = static_cast<int>(epoch);
    const double eta = epoch_seconds_sum / static_cast<double>(epochs_timed) *
                       static_cast<double>(options_.max_epochs - epoch);
    report(
        fmt::format("epoch {:>4}/{} loss {:.4f} lr {:.6g} {:.2f} samples/s {:.1f} s "
                    "elapsed {} eta(max) {}",
                    epoch, options_.max_epochs, epoch_stats.loss, record.learning_rate,
                    samples_per_epoch / seconds, seconds, format_duration(seconds_since(run_start)),
                    format_duration(eta)));

    bool stop = false;
    if (is_eval_epoch(epoch, options_.start_eval_at, options_.evaluate_every)) {
      rules.eval_start(log, record);
      const auto eval_begin = Clock::now();
      const EvalResult result = evaluate(epoch);
      // A non-finite quality is never logged as a result: the run aborts below.
      const bool finite_quality = std::isfinite(result.quality);
      if (finite_quality) {
        rules.evaluated(log, record, result.quality, result.loss);
        outcome.last_quality = result.quality;
      }
      std::string classes;
      for (double s : result.class_scores) classes += fmt::format(" {:.4f}", s);
      if (!classes.empty()) classes = fmt::format(" per-class [{} ]", classes);
      report(
          fmt::format("  eval epoch {:>4}: {} {:.4f} (target {}){} loss "
                      "{:.4f} cases {} {:.1f} s",
                      epoch, loop_.target.name, result.quality, loop_.target.target, classes,
                      result.loss, result.cases, seconds_since(eval_begin)));
      if (result.quality > best_quality) {
        best_quality = result.quality;
        evals_since_best = 0;
      } else {
        ++evals_since_best;
      }
      std::optional<std::string> abort_reason;
      if (loop_.target.reached(result.quality)) {
        outcome.status = RunStatus::success;
        outcome.reason = "quality target reached";
        rules.target_reached(log, record, loop_.target.target);
        stop = true;
      } else if (!finite_quality) {
        abort_reason = fmt::format("diverged (eval quality {})", result.quality);
      } else if (options_.abort_rule) {
        abort_reason = options_.abort_rule(result);
      }
      if (!stop && !abort_reason && options_.early_stop_patience > 0 &&
          epoch >= options_.min_epochs && evals_since_best >= options_.early_stop_patience) {
        abort_reason = fmt::format("early stopping: no improvement in {} evaluations (best {:.4f})",
                                   evals_since_best, best_quality);
      }
      if (abort_reason) {
        outcome.status = RunStatus::aborted;
        outcome.reason = *abort_reason;
        stop = true;
      }
      rules.eval_stop(log, record);
    }
    rules.epoch_end(log, record);
    if (!stop && options_.checkpoint_every > 0 && epoch % options_.checkpoint_every == 0) {
      save(epoch);
    }
    if (stop) break;
    if (options_.stop_requested &&
        loop_.average_over_ranks(options_.stop_requested() ? 1.0 : 0.0) > 0.0) {
      outcome.reason =
          options_.checkpoint_path.empty()
              ? std::string("stop requested (signal); nothing saved: no checkpoint path")
              : fmt::format("stop requested (signal); continue with --resume {}",
                            options_.checkpoint_path.string());
      report(fmt::format("stop requested after epoch {}", epoch));
      interrupted = true;
      break;
    }
  }
  outcome.seconds_to_stop = seconds_since(run_start);
  // A run stopped by a signal is not over: its resumption continues the log to run_stop.
  if (!interrupted) {
    log.end(key::kRunStop, nullptr,
            {{"status", outcome.status == RunStatus::success ? "success" : "aborted"}});
  }
  save(outcome.epochs_run);
  return outcome;
}

}  // namespace segbench
