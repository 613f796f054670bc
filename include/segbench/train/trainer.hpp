// The compiled epoch loop shared by every segmentation run: train, evaluate on schedule, stop
// when the quality target says so (or an abort rule, early stopping, the epoch budget or a
// stop signal), with MLLOG events, progress lines, checkpoints and resume. It knows no
// benchmark: train() (train.hpp) builds its inputs from the concepts, and a recipe supplies
// the schedule, the log rules and the stop rules.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "segbench/concepts/trainer.hpp"
#include "segbench/train/batch_source.hpp"
#include "segbench/train/learning_rate_schedule.hpp"
#include "segbench/train/run_state.hpp"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}
namespace segbench::mllog {
class Logger;
class EpochLogRules;
}  // namespace segbench::mllog

namespace segbench {

/// One evaluation over the validation set of all ranks.
struct EvalResult {
  double quality = 0.0;  ///< the metric compared with the target (mean Dice, IoU)
  double loss = 0.0;     ///< mean evaluation loss per case
  std::vector<double>
      class_scores{};  ///< per class (e.g. kidney, tumour), when the target has them
  int64_t cases = 0;   ///< cases evaluated across all ranks
};

/// What one training iteration returns: the loss to back-propagate and, when the run logs it,
/// the batch's training accuracy (< 0: not computed).
struct StepLoss {
  at::Tensor loss;
  double accuracy = -1.0;
};

/// The stop rule of a QualityTarget, type-erased.
struct QualityStop {
  std::function<bool(double quality)> reached;
  double target = 0.0;
  std::string name;  ///< in progress lines, e.g. "mean_dice"
};

/// Gradient communication around backward (identity for one process).
struct GradientHooks {
  /// Before each backward; true when the optimizer steps after it (overlapped communication).
  std::function<void(bool will_step)> before_backward;
  /// After the last backward of a step, before the optimizer: average the gradients.
  std::function<void()> reduce;
};

/// The loop's parts, type-erased (train() fills them from concept-checked types).
struct TrainingLoop {
  std::shared_ptr<torch::nn::Module> model;
  torch::optim::Optimizer* optimizer = nullptr;
  LearningRateSchedule* schedule = nullptr;
  BatchSource* batches = nullptr;
  /// Forward and loss of one batch (image, label) in training mode.
  std::function<StepLoss(const at::Tensor& image, const at::Tensor& label)> step;
  /// The validation pass; the trainer calls it with the model in eval mode and no gradients.
  std::function<EvalResult(int64_t epoch)> evaluate;
  QualityStop target;
  GradientHooks gradients;
  /// Mean of a scalar over ranks (identity for one process).
  std::function<double(double)> average_over_ranks;
  /// Optional: after every epoch's last step, before evaluation (e.g. averaging BatchNorm
  /// running statistics over ranks).
  std::function<void()> end_of_epoch;
  mllog::Logger* log = nullptr;
  std::shared_ptr<const mllog::EpochLogRules> log_rules;
  /// Optional: waits for the device's queued work (CUDA), so that the stage timers measure
  /// the kernels and not only their launch.
  std::function<void()> synchronize;
};

struct TrainerOptions {
  int64_t max_epochs = 1;
  int64_t start_eval_at = 1;
  int64_t evaluate_every = 1;
  int64_t ga_steps = 1;
  int64_t samples_per_step = 1;  ///< global samples per iteration (local batch × world)
  int64_t seed = 0;
  /// A directory (one file per checkpoint, the newest keep_checkpoints kept) or a file;
  /// "" = no checkpoints.
  std::filesystem::path checkpoint_path;
  int64_t checkpoint_every = 0;           ///< epochs; 0 = only at the end
  double checkpoint_every_minutes = 0.0;  ///< also at the first iteration boundary after M min
  int keep_checkpoints = 2;
  std::filesystem::path resume_from;  ///< a checkpoint file or directory; "" = fresh start
  /// The run's resolved configuration and rank count, recorded in checkpoints: a resumed run
  /// must match (resume_config_differences() lists what may change).
  nlohmann::json run_config = nlohmann::json::object();
  int world_size = 1;
  /// Optimizer steps with a non-finite loss or gradient that are skipped (each logged) before
  /// the run stops with an error; 0: the first one stops it.
  int64_t skip_nonfinite = 0;
  /// Events logged right after run_start (train_samples, eval_samples, ...).
  std::vector<std::pair<std::string, nlohmann::json>> run_start_events;
  /// Optional data staging, run on every rank right after run_start (and its events) between
  /// staging_start and staging_stop: inside the timed run, where the MLPerf HPC 1.0/2.0 rules
  /// require it (3.0 accepts it there too). Returns the staging_stop metadata.
  std::function<nlohmann::json()> stage;
  /// Every this many training iterations (global count), the current batch's loss and accuracy
  /// are averaged over ranks and handed to the log rules' train_progress(). 0: only at the end
  /// of each epoch (the log rules' epoch_trained, also with averaged values).
  int64_t log_every_iterations = 0;
  /// Optional, after each evaluation that did not reach the target: a reason aborts the run
  /// (e.g. a divergence rule).
  std::function<std::optional<std::string>(const EvalResult&)> abort_rule;
  /// Early stopping: stop when the quality has not improved for `patience` evaluations, but
  /// not before `min_epochs`. 0 = off.
  int64_t early_stop_patience = 0;
  int64_t min_epochs = 0;
  std::ostream* progress = nullptr;  ///< one line per epoch / eval (stderr in drivers)
  bool is_main_rank = true;
  /// Polled after every optimizer step (e.g. SIGUSR1 before a pre-emption): when any rank asks,
  /// all ranks stop at the same iteration boundary, rank 0 writes the checkpoint, and the log
  /// stays open for the resumed run (no run_stop).
  std::function<bool()> stop_requested;
  /// Every rank's `values`, row r for rank r (a collective; multi-rank runs): after resuming,
  /// the ranks compare the checkpoint each loaded and stop, naming the ranks that differ, rather
  /// than train on inconsistent state. Unset: no comparison (one rank).
  std::function<std::vector<std::vector<std::int64_t>>(const std::vector<std::int64_t>&)>
      gather_from_ranks;
};

/// Wall time per stage of the training loop, summed over the run (this rank). On CUDA the
/// stages are timed on the host unless TrainingLoop::synchronize is set.
struct StageSeconds {
  double data = 0.0;     ///< waiting for the next batch (loading, host→device copy)
  double forward = 0.0;  ///< forward and loss
  double backward = 0.0;
  double gradients = 0.0;  ///< gradient averaging over ranks
  double optimizer = 0.0;
  double evaluation = 0.0;
};

class SegmentationTrainer {
 public:
  SegmentationTrainer(TrainingLoop loop, TrainerOptions options);
  TrainOutcome fit();
  const StageSeconds& stage_seconds() const { return stages_; }

 private:
  enum class EpochEnd { complete, stopped };
  EpochEnd train_one_epoch(int64_t epoch);
  EvalResult evaluate(int64_t epoch);
  void report(const std::string& line) const;
  void resume();
  /// resume(), then (several ranks) the same checkpoint on every rank, or a ConfigError naming
  /// the ranks that resumed from another one or could not resume.
  void resume_on_every_rank();
  void save(bool finished);
  /// ConfigError when the checkpoint's file system cannot hold one more checkpoint.
  void check_checkpoint_space() const;
  [[noreturn]] void fail_nonfinite(int64_t epoch, int64_t iteration, const std::string& what);

  TrainingLoop loop_;
  TrainerOptions options_;
  RunState state_;  ///< where the run stands: what a checkpoint records
  std::chrono::steady_clock::time_point run_start_{};
  std::chrono::steady_clock::time_point last_save_{};
  double elapsed_before_resume_ = 0.0;  ///< run time of the interrupted run(s)
  std::string last_checkpoint_;
  int64_t nonfinite_skipped_ = 0;
  StageSeconds stages_;
};

static_assert(Trainer<SegmentationTrainer>);

}  // namespace segbench
