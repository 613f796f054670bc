#include "segbench/train/trainer.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <limits>

#include "segbench/dist/gather_from_ranks.hpp"
#include "segbench/error.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/train/checkpoint.hpp"
#include "segbench/train/checkpoint_file.hpp"
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

// False when any gradient holds a NaN or an infinity (one reduction, one host sync).
bool gradients_finite(const torch::nn::Module& model) {
  at::Tensor total;
  for (const auto& p : model.parameters()) {
    if (!p.grad().defined()) continue;
    const at::Tensor s = p.grad().sum(at::kDouble);
    total = total.defined() ? total + s : s;
  }
  return !total.defined() || std::isfinite(total.item<double>());
}

// Adds a stage's wall time to `sum` when it goes out of scope.
class StageTimer {
 public:
  StageTimer(double& sum, const std::function<void()>& synchronize)
      : sum_(sum), synchronize_(synchronize), start_(Clock::now()) {}
  ~StageTimer() {
    if (synchronize_) synchronize_();
    sum_ += seconds_since(start_);
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  double& sum_;
  const std::function<void()>& synchronize_;
  Clock::time_point start_;
};

// What the ranks agree on after each optimizer step, in one collective: whether any rank saw
// a non-finite loss or gradient, whether any rank was asked to stop, and whether rank 0's
// checkpoint timer is due. Each flag is counted over the ranks in its own base-(world + 1)
// digit of the averaged sum, so one scalar carries all three.
struct StepAgreement {
  bool nonfinite = false;
  bool stop = false;
  bool checkpoint_due = false;
};

StepAgreement agree(const std::function<double(double)>& average_over_ranks, int world,
                    bool nonfinite, bool stop, bool checkpoint_due) {
  const double base = world + 1.0;
  const double mine =
      (nonfinite ? 1.0 : 0.0) + (stop ? base : 0.0) + (checkpoint_due ? base * base : 0.0);
  const auto sum = static_cast<int64_t>(std::llround(average_over_ranks(mine) * world));
  const auto b = static_cast<int64_t>(base);
  return {.nonfinite = sum % b > 0, .stop = (sum / b) % b > 0, .checkpoint_due = sum / (b * b) > 0};
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
  SEGBENCH_CHECK(options_.keep_checkpoints >= 1 && options_.checkpoint_every_minutes >= 0 &&
                     options_.skip_nonfinite >= 0 && options_.world_size >= 1,
                 ConfigError,
                 "trainer: keep_checkpoints ({}) and world_size ({}) must be >= 1, "
                 "checkpoint_every_minutes ({}) and skip_nonfinite ({}) >= 0",
                 options_.keep_checkpoints, options_.world_size, options_.checkpoint_every_minutes,
                 options_.skip_nonfinite);
  if (!loop_.gradients.reduce) loop_.gradients.reduce = [] {};
  if (!loop_.average_over_ranks) loop_.average_over_ranks = [](double v) { return v; };
}

void SegmentationTrainer::report(const std::string& line) const {
  if (options_.progress && options_.is_main_rank) *options_.progress << line << std::endl;
}

void SegmentationTrainer::check_checkpoint_space() const {
  if (options_.checkpoint_path.empty()) return;
  namespace fs = std::filesystem;
  // Weights and buffers, and up to two optimizer slots per weight (Adam, LAMB), written to a
  // temporary file beside the last checkpoint: the disk must hold one more.
  double bytes = 0.0;
  for (const auto& p : loop_.model->parameters()) bytes += 3.0 * static_cast<double>(p.nbytes());
  for (const auto& b : loop_.model->buffers()) bytes += static_cast<double>(b.nbytes());
  // The container's per-tensor records, step counters and metadata: measured +25 % on DeepCAM's
  // smoke preset (3.89 MB written, 3.1 MB counted), so a quarter and 1 MB on top.
  bytes = bytes * 1.25 + 1e6;
  const fs::path dir = checkpoint_directory(options_.checkpoint_path);
  std::error_code ec;
  const fs::space_info space = fs::space(dir, ec);
  if (ec) return;  // the start-up probe has already checked that it is writable
  SEGBENCH_CHECK(static_cast<double>(space.available) >= bytes, ConfigError,
                 "--save_ckpt_path {}: {:.1f} MB free, a checkpoint of this model needs about "
                 "{:.1f} MB",
                 options_.checkpoint_path.string(), static_cast<double>(space.available) / 1e6,
                 bytes / 1e6);
}

void SegmentationTrainer::save(bool finished) {
  if (options_.checkpoint_path.empty()) return;
  state_.finished = finished;
  state_.elapsed_seconds = elapsed_before_resume_ + seconds_since(run_start_);
  state_.schedule_state = loop_.schedule->state();
  if (state_.next_iteration > 0) {
    // Mid-epoch: the epoch's loss sum of every rank, so each resumes with the same figure.
    state_.epoch_loss_sum = loop_.average_over_ranks(state_.epoch_loss_sum);
  }
  last_save_ = Clock::now();
  if (!options_.is_main_rank) return;
  state_.log_bytes = loop_.log->file_length();
  last_checkpoint_ = save_checkpoint(options_.checkpoint_path, *loop_.model, *loop_.optimizer,
                                     state_, options_.keep_checkpoints)
                         .string();
}

void SegmentationTrainer::fail_nonfinite(int64_t epoch, int64_t iteration,
                                         const std::string& what) {
  const std::string kept =
      !last_checkpoint_.empty() ? fmt::format("the last checkpoint {} is intact", last_checkpoint_)
      : !options_.resume_from.empty()
          ? fmt::format("the checkpoint resumed from ({}) is intact", options_.resume_from.string())
      : options_.checkpoint_path.empty() ? std::string("no checkpoint path was given")
                                         : std::string("no checkpoint was written yet");
  loop_.log->end(mllog::key::kRunStop, nullptr, {{"status", "aborted"}});
  throw TrainingError(fmt::format(
      "non-finite training values at epoch {} iteration {}: {}{}; nothing was saved from this "
      "step, {}",
      epoch, iteration, what,
      options_.skip_nonfinite > 0
          ? fmt::format(" ({} such steps skipped before, --skip_nonfinite {})", nonfinite_skipped_,
                        options_.skip_nonfinite)
          : std::string(),
      kept));
}

SegmentationTrainer::EpochEnd SegmentationTrainer::train_one_epoch(int64_t epoch) {
  auto& model = *loop_.model;
  auto& optimizer = *loop_.optimizer;
  const auto& sync = loop_.synchronize;
  model.train(true);
  const int64_t batches = static_cast<int64_t>(loop_.batches->batches_per_epoch());
  int64_t iteration = state_.next_iteration;
  loop_.batches->start_epoch(epoch, static_cast<std::size_t>(iteration));
  at::Tensor image, label;
  double first_bad_loss = 0.0;  // a non-finite loss of this step's batches, on this rank
  bool bad_loss = false;
  while (true) {
    {
      StageTimer timer(stages_.data, sync);
      if (!loop_.batches->next(image, label)) break;
    }
    StepLoss step;
    double value = 0.0;
    {
      StageTimer timer(stages_.forward, sync);
      step = loop_.step(image, label);
      value = step.loss.item<double>();
    }
    if (!std::isfinite(value) && !bad_loss) {
      bad_loss = true;
      first_bad_loss = value;
    }
    const bool will_step = (iteration + 1) % options_.ga_steps == 0;
    {
      // Even a non-finite loss goes through backward: the other ranks' gradient communication
      // expects this rank's part.
      StageTimer timer(stages_.backward, sync);
      if (loop_.gradients.before_backward) loop_.gradients.before_backward(will_step);
      (step.loss / static_cast<double>(options_.ga_steps)).backward();
    }
    ++iteration;
    ++state_.iterations;
    if (std::isfinite(value)) {
      state_.epoch_loss_sum += value;
      state_.last_loss = value;
      if (step.accuracy >= 0) state_.last_accuracy = step.accuracy;
    }
    StepAgreement agreed;
    if (will_step) {
      {
        StageTimer timer(stages_.gradients, sync);
        loop_.gradients.reduce();
      }
      const bool due = options_.is_main_rank && options_.checkpoint_every_minutes > 0 &&
                       seconds_since(last_save_) >= options_.checkpoint_every_minutes * 60.0;
      const bool bad = bad_loss || !gradients_finite(model);
      agreed = agree(loop_.average_over_ranks, options_.world_size, bad,
                     options_.stop_requested && options_.stop_requested(), due);
      if (agreed.nonfinite) {
        const std::string what =
            bad_loss ? fmt::format("loss {} on this rank", first_bad_loss)
                     : std::string("a gradient is NaN or infinite after averaging over ranks");
        if (nonfinite_skipped_ >= options_.skip_nonfinite)
          fail_nonfinite(epoch, iteration - 1, what);
        ++nonfinite_skipped_;
        optimizer.zero_grad();
        loop_.log->event("nonfinite_step_skipped", nonfinite_skipped_,
                         {{"epoch_num", epoch}, {"iteration_num", state_.iterations}});
        report(fmt::format("  skipped the optimizer step at epoch {} iteration {}: {} ({} of {})",
                           epoch, iteration - 1, what, nonfinite_skipped_,
                           options_.skip_nonfinite));
      } else {
        StageTimer timer(stages_.optimizer, sync);
        set_learning_rate(optimizer, loop_.schedule->lr(epoch, state_.optimizer_steps));
        optimizer.step();
        optimizer.zero_grad();
        ++state_.optimizer_steps;
      }
      bad_loss = false;
    }
    if (options_.log_every_iterations > 0 &&
        state_.iterations % options_.log_every_iterations == 0) {
      // A collective: every rank runs the same number of iterations per epoch.
      loop_.log_rules->train_progress(
          *loop_.log,
          {.epoch = epoch,
           .optimizer_steps = state_.optimizer_steps,
           .iterations = state_.iterations,
           .learning_rate = learning_rate(optimizer),
           .last_loss = loop_.average_over_ranks(state_.last_loss),
           .last_accuracy =
               step.accuracy >= 0 ? loop_.average_over_ranks(state_.last_accuracy) : -1.0});
    }
    // The epoch's last step ends in fit(): evaluation, the epoch's checkpoint, the stop check.
    if (will_step && iteration < batches && (agreed.stop || agreed.checkpoint_due)) {
      state_.next_epoch = epoch;
      state_.next_iteration = iteration;
      save(false);
      if (agreed.stop) return EpochEnd::stopped;
    }
  }
  SEGBENCH_CHECK(iteration > 0, ConfigError,
                 "epoch {} had no training batch (fewer training cases than the batch size?)",
                 epoch);
  if (loop_.end_of_epoch) loop_.end_of_epoch();
  state_.next_iteration = 0;
  return EpochEnd::complete;
}

EvalResult SegmentationTrainer::evaluate(int64_t epoch) {
  StageTimer timer(stages_.evaluation, loop_.synchronize);
  at::NoGradGuard no_grad;
  loop_.model->eval();
  EvalResult result = loop_.evaluate(epoch);
  loop_.model->train();
  loop_.schedule->observe(result.quality, result.loss);
  return result;
}

void SegmentationTrainer::resume() {
  LoadedCheckpoint loaded = load_checkpoint(options_.resume_from, *loop_.model, *loop_.optimizer);
  for (const auto& skipped : loaded.skipped) report(fmt::format("skipped: {}", skipped));
  const RunState& saved = loaded.state;
  const std::string file = loaded.file.string();
  SEGBENCH_CHECK(saved.seed == options_.seed, ConfigError,
                 "checkpoint {} was written by a run with seed {}, this run has seed {}", file,
                 saved.seed, options_.seed);
  SEGBENCH_CHECK(saved.world_size == options_.world_size, ConfigError,
                 "checkpoint {} was written by a run on {} ranks, this run has {}: the data "
                 "shards and the batch differ",
                 file, saved.world_size, options_.world_size);
  const auto differences = resume_config_differences(saved.config, options_.run_config);
  SEGBENCH_CHECK(differences.empty(), ConfigError,
                 "checkpoint {} was written by a run with another configuration: {}", file,
                 fmt::join(differences, "; "));
  // A finished run stays finished: nothing is trained, logged or saved.
  SEGBENCH_CHECK(
      !saved.finished && saved.next_epoch <= options_.max_epochs, ConfigError,
      "checkpoint {} is of a run that {}: nothing left to train, nothing changed{}", file,
      saved.finished ? "finished" : fmt::format("trained {} epochs", saved.next_epoch - 1),
      saved.finished ? "" : " (raise the epoch limit to train on)");
  loop_.schedule->restore(saved.schedule_state);
  state_ = saved;
  state_.config = options_.run_config;
  elapsed_before_resume_ = saved.elapsed_seconds;
  last_checkpoint_ = file;
  report(fmt::format("resumed from {} at epoch {} iteration {}", file, saved.next_epoch,
                     saved.next_iteration));
}

void SegmentationTrainer::resume_on_every_rank() {
  if (!options_.gather_from_ranks) return resume();
  // {1: resumed | -1: failed, next epoch, next iteration, fingerprint of the whole run state}
  std::vector<std::int64_t> point{-1, 0, 0, 0};
  std::exception_ptr failure;
  try {
    resume();
    point = {1, state_.next_epoch, state_.next_iteration,
             fingerprint_for_ranks(to_json(state_).dump())};
  } catch (...) {
    failure = std::current_exception();  // the others still compare, then hear of it
  }
  const auto ranks = options_.gather_from_ranks(point);
  if (failure) std::rethrow_exception(failure);
  const auto checkpoint_at = [](const std::vector<std::int64_t>& p) {
    return fmt::format("{} (epoch {} iteration {})", checkpoint_file_name(p[1], p[2]), p[1], p[2]);
  };
  std::vector<std::string> failed;
  std::vector<std::string> other;
  for (std::size_t r = 1; r < ranks.size(); ++r) {
    if (ranks[r][0] < 0) {
      failed.push_back(fmt::format("rank {}", r));
    } else if (ranks[r] != ranks[0]) {
      const bool same_point = ranks[r][1] == ranks[0][1] && ranks[r][2] == ranks[0][2];
      other.push_back(fmt::format("rank {} from {}{}", r, checkpoint_at(ranks[r]),
                                  same_point ? " with other contents" : ""));
    }
  }
  if (ranks[0][0] < 0) failed.insert(failed.begin(), "rank 0");
  SEGBENCH_CHECK(failed.empty(), ConfigError,
                 "--resume {}: {} could not resume (see {} message); nothing was trained",
                 options_.resume_from.string(), fmt::join(failed, ", "),
                 failed.size() > 1 ? "their" : "its");
  SEGBENCH_CHECK(other.empty(), ConfigError,
                 "--resume {}: ranks resume from different checkpoints: rank 0 resumes from {}, "
                 "{}; give every rank the same checkpoint (nothing was trained)",
                 options_.resume_from.string(), checkpoint_at(ranks[0]), fmt::join(other, ", "));
}

TrainOutcome SegmentationTrainer::fit() {
  namespace key = mllog::key;
  auto& log = *loop_.log;
  const auto& rules = *loop_.log_rules;
  auto& optimizer = *loop_.optimizer;
  TrainOutcome outcome;

  state_.seed = options_.seed;
  state_.world_size = options_.world_size;
  state_.config = options_.run_config;
  const bool resuming = !options_.resume_from.empty();
  if (resuming) resume_on_every_rank();
  if (options_.is_main_rank) check_checkpoint_space();

  run_start_ = Clock::now();
  last_save_ = run_start_;
  log.start(key::kRunStart);  // a continued log drops it: the interrupted run's stands
  if (resuming) {
    log.resume_at_length(state_.log_bytes);
    log.event(key::kRunResumed, nullptr,
              {{"epoch_num", state_.next_epoch - 1},
               {"iteration_num", state_.iterations},
               {"checkpoint", last_checkpoint_}});
  } else {
    for (const auto& [k, v] : options_.run_start_events) log.event(k, v);
  }
  if (options_.stage) {
    log.start(key::kStagingStart);
    const nlohmann::json staged = options_.stage();
    log.end(key::kStagingStop, nullptr, staged.is_object() ? staged : nlohmann::json::object());
  }

  outcome.reason = "max epochs reached";
  const double samples_per_iteration = static_cast<double>(options_.samples_per_step);
  for (int64_t epoch = state_.next_epoch; epoch <= options_.max_epochs; ++epoch) {
    const int64_t first_iteration = state_.next_iteration;
    if (first_iteration == 0) {
      set_learning_rate(optimizer, loop_.schedule->lr(epoch, state_.optimizer_steps));
      rules.epoch_start(log, {.epoch = epoch,
                              .optimizer_steps = state_.optimizer_steps,
                              .iterations = state_.iterations});
      state_.epoch_loss_sum = 0.0;
      state_.last_loss = 0.0;
      state_.last_accuracy = -1.0;
    }
    const auto epoch_start = Clock::now();
    // A non-finite step logs run_stop aborted (fail_nonfinite); any other error leaves the log
    // open, so that the run can resume from its last checkpoint once the cause is fixed.
    const EpochEnd end = train_one_epoch(epoch);
    const double seconds = seconds_since(epoch_start);
    const int64_t iterations_done =
        (end == EpochEnd::stopped ? state_.next_iteration
                                  : static_cast<int64_t>(loop_.batches->batches_per_epoch())) -
        first_iteration;
    state_.train_seconds += seconds;
    state_.samples_trained += static_cast<double>(iterations_done) * samples_per_iteration;
    if (end == EpochEnd::stopped) {
      outcome.stopped_by_signal = true;
      report(fmt::format("stop requested: stopped at epoch {} iteration {}", epoch,
                         state_.next_iteration));
      break;
    }
    const int64_t iterations_in_epoch = static_cast<int64_t>(loop_.batches->batches_per_epoch());
    const double epoch_loss =
        loop_.average_over_ranks(state_.epoch_loss_sum / static_cast<double>(iterations_in_epoch));
    const mllog::EpochRecord record{
        .epoch = epoch,
        .optimizer_steps = state_.optimizer_steps,
        .iterations = state_.iterations,
        .learning_rate = learning_rate(optimizer),
        .last_loss = loop_.average_over_ranks(state_.last_loss),
        .last_accuracy =
            state_.last_accuracy >= 0 ? loop_.average_over_ranks(state_.last_accuracy) : -1.0};
    rules.epoch_trained(log, record);
    state_.epoch_seconds_sum += seconds;
    ++state_.epochs_timed;
    const double eta = state_.epoch_seconds_sum / static_cast<double>(state_.epochs_timed) *
                       static_cast<double>(options_.max_epochs - epoch);
    report(fmt::format(
        "epoch {:>4}/{} loss {:.4f} lr {:.6g} {:.2f} samples/s {:.1f} s elapsed {} eta(max) {}",
        epoch, options_.max_epochs, epoch_loss, record.learning_rate,
        static_cast<double>(iterations_done) * samples_per_iteration / seconds, seconds,
        format_duration(elapsed_before_resume_ + seconds_since(run_start_)), format_duration(eta)));

    bool stop = false;
    if (is_eval_epoch(epoch, options_.start_eval_at, options_.evaluate_every)) {
      rules.eval_start(log, record);
      const auto eval_begin = Clock::now();
      const EvalResult result = evaluate(epoch);
      // A non-finite quality is never logged as a result: the run aborts below.
      const bool finite_quality = std::isfinite(result.quality);
      if (finite_quality) {
        rules.evaluated(log, record, result.quality, result.loss);
        state_.last_quality = result.quality;
      }
      std::string classes;
      for (double s : result.class_scores) classes += fmt::format(" {:.4f}", s);
      if (!classes.empty()) classes = fmt::format(" per-class [{} ]", classes);
      report(
          fmt::format("  eval epoch {:>4}: {} {:.4f} (target {}){} loss {:.4f} cases {} {:.1f} s",
                      epoch, loop_.target.name, result.quality, loop_.target.target, classes,
                      result.loss, result.cases, seconds_since(eval_begin)));
      if (result.quality > state_.best_quality) {
        state_.best_quality = result.quality;
        state_.evals_since_best = 0;
      } else {
        ++state_.evals_since_best;
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
          epoch >= options_.min_epochs && state_.evals_since_best >= options_.early_stop_patience) {
        abort_reason = fmt::format("early stopping: no improvement in {} evaluations (best {:.4f})",
                                   state_.evals_since_best, state_.best_quality);
      }
      if (abort_reason) {
        outcome.status = RunStatus::aborted;
        outcome.reason = *abort_reason;
        stop = true;
      }
      rules.eval_stop(log, record);
    }
    rules.epoch_end(log, record);
    state_.next_epoch = epoch + 1;
    if (stop) break;
    const StepAgreement agreed =
        agree(loop_.average_over_ranks, options_.world_size, false,
              options_.stop_requested && options_.stop_requested(),
              options_.is_main_rank && options_.checkpoint_every_minutes > 0 &&
                  seconds_since(last_save_) >= options_.checkpoint_every_minutes * 60.0);
    const bool epoch_due = options_.checkpoint_every > 0 && epoch % options_.checkpoint_every == 0;
    if (epoch < options_.max_epochs && (epoch_due || agreed.checkpoint_due || agreed.stop)) {
      save(false);
    }
    if (agreed.stop) {
      outcome.stopped_by_signal = true;
      report(fmt::format("stop requested after epoch {}", epoch));
      break;
    }
  }
  outcome.epochs_run = static_cast<int>(std::min(state_.next_epoch - 1, options_.max_epochs));
  outcome.last_quality = state_.last_quality;
  outcome.train_seconds = state_.train_seconds;
  outcome.samples_trained = state_.samples_trained;
  outcome.seconds_to_stop = elapsed_before_resume_ + seconds_since(run_start_);
  if (outcome.stopped_by_signal) {
    // Not over: the resumed run continues the log to run_stop.
    outcome.status = RunStatus::aborted;
    outcome.reason = options_.checkpoint_path.empty()
                         ? std::string("stop requested (signal); nothing saved: no checkpoint path")
                         : fmt::format("stop requested (signal); continue with --resume {}",
                                       options_.checkpoint_path.string());
  } else {
    log.end(key::kRunStop, nullptr,
            {{"status", outcome.status == RunStatus::success ? "success" : "aborted"}});
    // The epoch budget running out leaves the run resumable with a higher limit; the target,
    // an abort rule or early stopping end it.
    save(/*finished=*/outcome.reason != "max epochs reached");
  }
  outcome.checkpoint = last_checkpoint_;
  const StageSeconds& t = stages_;
  report(
      fmt::format("stages (s, this rank): data {:.2f} forward {:.2f} backward {:.2f} "
                  "gradients {:.2f} optimizer {:.2f} evaluation {:.2f}",
                  t.data, t.forward, t.backward, t.gradients, t.optimizer, t.evaluation));
  return outcome;
}

}  // namespace segbench
