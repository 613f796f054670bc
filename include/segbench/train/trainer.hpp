// The epoch loop shared by the segmentation benchmarks: train, evaluate on schedule, stop at
// the quality target, divergence or the epoch budget; MLLOG events, progress lines,
// checkpoints and resume. Compiled once (src/train/trainer.cpp); the benchmark-specific
// parts arrive as callables.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "segbench/concepts/trainer.hpp"
#include "segbench/train/batch_source.hpp"
#include "segbench/train/lr_schedule.hpp"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}
namespace segbench::mllog {
class Logger;
}

namespace segbench {

struct EvalResult {
  double quality = 0.0;              ///< the metric compared with the target (mean Dice, IoU)
  double loss = 0.0;                 ///< mean eval loss
  std::vector<double> class_scores;  ///< per class (e.g. kidney, tumour)
  int64_t cases = 0;                 ///< cases evaluated across all ranks
};

struct TrainerParts {
  std::shared_ptr<torch::nn::Module> model;
  std::function<at::Tensor(const at::Tensor&)> forward;
  torch::optim::Optimizer* optimizer = nullptr;
  std::function<at::Tensor(const at::Tensor& logits, const at::Tensor& label)> loss;
  /// Optional: replaces forward + loss for models whose training forward differs from
  /// inference (deep supervision, autocast, a 3-D crop laid out as 2-D slices).
  std::function<at::Tensor(const at::Tensor& image, const at::Tensor& label)> training_loss;
  /// Optional: training accuracy of a batch from its logits (logged as train_accuracy).
  std::function<double(const at::Tensor& logits, const at::Tensor& label)> train_accuracy;
  /// Optional: runs after every epoch's last step, before evaluation (e.g. averaging
  /// BatchNorm running statistics over ranks).
  std::function<void()> end_of_epoch;
  BatchSource* train_batches = nullptr;
  std::function<EvalResult(int64_t epoch)> evaluate;
  /// Multi-rank hooks (identity for one process): announce each backward (true when the
  /// optimizer steps after it, for overlapped gradient communication), average gradients
  /// before the optimizer step, and average a scalar over ranks.
  std::function<void(bool will_step)> before_backward;
  std::function<void()> reduce_gradients;
  std::function<double(double)> average_over_ranks;
  mllog::Logger* log = nullptr;
};

struct TrainerOptions {
  int64_t max_epochs = 1;
  int64_t start_eval_at = 1;
  int64_t evaluate_every = 1;
  int64_t ga_steps = 1;
  int64_t samples_per_step = 1;  ///< global samples per iteration (local batch × world)
  EpochLrSchedule schedule{EpochLrScheduleOptions{}};
  /// When set, replaces `schedule` (e.g. nnU-Net's multistep/cosine/plateau policies).
  std::function<double(int64_t epoch)> lr_at_epoch;
  /// When set, the learning rate follows optimizer steps instead of epochs: before the
  /// optimizer step with 0-based global index t the rate is lr_at_step(t).
  std::function<double(int64_t step)> lr_at_step;
  double quality_target = 0.908;
  double diverged_below = 1e-6;  ///< eval quality below this aborts the run
  int64_t seed = 0;
  std::filesystem::path checkpoint_path;  ///< "" = no checkpoints
  int64_t checkpoint_every = 0;           ///< epochs; 0 = only at the end
  std::filesystem::path resume_from;      ///< "" = fresh start
  /// Events logged right after run_start (train_samples, eval_samples, ...).
  std::vector<std::pair<std::string, nlohmann::json>> run_start_events;
  /// MLLOG flavour: training rules wrap epochs in block_start/stop; the HPC rules want
  /// step_num on epoch events and learning_rate/train_loss/train_accuracy/eval_loss.
  bool log_blocks = true;
  bool log_hpc_epoch_metrics = false;
  std::string quality_name = "mean Dice";  ///< in progress lines
  /// Early stopping (nnU-Net): stop when the quality has not improved for `patience`
  /// evaluations, but not before `min_epochs`. 0 = off.
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
  SegmentationTrainer(TrainerParts parts, TrainerOptions options);
  TrainOutcome fit();

 private:
  struct EpochStats {
    double loss = 0.0;            ///< mean over the epoch's iterations and ranks
    double last_loss = 0.0;       ///< last batch (what the HPC reference logs)
    double last_accuracy = -1.0;  ///< last batch, when train_accuracy is set
  };
  EpochStats train_one_epoch(int64_t epoch);
  void report(const std::string& line) const;

  TrainerParts parts_;
  TrainerOptions options_;
  int64_t optimizer_steps_ = 0;  ///< global, across epochs (resumed from the epoch count)
};

static_assert(Trainer<SegmentationTrainer>);

}  // namespace segbench
