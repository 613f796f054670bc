// The compiled epoch loop shared by every segmentation run: train, evaluate on schedule, stop
// when the quality target says so (or an abort rule, early stopping, the epoch budget or a
// stop signal), with MLLOG events, progress lines, checkpoints and resume. It knows no
// benchmark: train() (train.hpp) builds its inputs from the concepts, and a recipe supplies
// the schedule, the log rules and the stop rules.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

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
};

struct TrainerOptions {
  int64_t max_epochs = 1;
  int64_t start_eval_at = 1;
  int64_t evaluate_every = 1;
  int64_t ga_steps = 1;
  int64_t samples_per_step = 1;  ///< global samples per iteration (local batch × world)
  int64_t seed = 0;
  std::filesystem::path checkpoint_path;  ///< "" = no checkpoints
  int64_t checkpoint_every = 0;           ///< epochs; 0 = only at the end
  std::filesystem::path resume_from;      ///< "" = fresh start
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
  /// Polled after every epoch (e.g. SIGUSR1 before a pre-emption): when any rank asks, all
  /// ranks stop after the same epoch, write the checkpoint and log run_stop aborted.
  std::function<bool()> stop_requested;
};

class SegmentationTrainer {
 public:
  SegmentationTrainer(TrainingLoop loop, TrainerOptions options);
  TrainOutcome fit();

 private:
  struct EpochStats {
    double loss = 0.0;            ///< mean over the epoch's iterations and ranks
    double last_loss = 0.0;       ///< last batch, mean over ranks (what the HPC reference logs)
    double last_accuracy = -1.0;  ///< last batch, mean over ranks, when the step computes it
  };
  EpochStats train_one_epoch(int64_t epoch);
  EvalResult evaluate(int64_t epoch);
  void report(const std::string& line) const;

  TrainingLoop loop_;
  TrainerOptions options_;
  int64_t optimizer_steps_ = 0;  ///< global, across epochs (resumed from the epoch count)
  int64_t iterations_ = 0;       ///< training batches, global across epochs (likewise)
};

static_assert(Trainer<SegmentationTrainer>);

}  // namespace segbench
