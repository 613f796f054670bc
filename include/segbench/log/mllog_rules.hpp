// How the epoch loop is written to the MLLOG: the MLPerf training rules or the MLPerf HPC rules.
// A policy object the recipe picks; the trainer calls it at fixed points of every epoch.
// No torch here.
#pragma once

#include <cstdint>
#include <memory>

#include "segbench/log/mllog.hpp"

namespace segbench::mllog {

/// What the trainer knows at the end of an epoch's training part.
struct EpochRecord {
  int64_t epoch = 0;            ///< 1-based
  int64_t optimizer_steps = 0;  ///< global optimizer steps so far
  /// Global training iterations (batches) so far: the HPC reference's step counter, which
  /// differs from optimizer_steps under gradient accumulation.
  int64_t iterations = 0;
  double learning_rate = 0.0;   ///< the rate of the last optimizer step
  double last_loss = 0.0;       ///< the last batch's training loss, averaged over ranks
  double last_accuracy = -1.0;  ///< the same for its training accuracy; < 0 when not computed
};

class EpochLogRules {
 public:
  virtual ~EpochLogRules() = default;
  virtual void epoch_start(Logger& log, const EpochRecord& at_start) const = 0;
  /// Every N training iterations when the trainer logs progress (TrainerOptions::
  /// log_every_iterations); the record holds the current batch's values. Default: nothing.
  virtual void train_progress(Logger& /*log*/, const EpochRecord& /*record*/) const {}
  /// After the epoch's last optimizer step, before any evaluation.
  virtual void epoch_trained(Logger& log, const EpochRecord& record) const = 0;
  virtual void eval_start(Logger& log, const EpochRecord& record) const = 0;
  virtual void evaluated(Logger& log, const EpochRecord& record, double quality,
                         double loss) const = 0;
  virtual void target_reached(Logger& log, const EpochRecord& record, double target) const = 0;
  virtual void eval_stop(Logger& log, const EpochRecord& record) const = 0;
  virtual void epoch_end(Logger& log, const EpochRecord& record) const = 0;
};

/// MLPerf training rules (3D U-Net): block_start/block_stop around each epoch, epoch_stop with
/// current_lr before the evaluation, eval_accuracy with epoch_num.
std::shared_ptr<const EpochLogRules> training_rules();

/// MLPerf training rules without blocks (the nnU-Net 2D run, which has no block events).
std::shared_ptr<const EpochLogRules> training_rules_without_blocks();

/// MLPerf HPC rules (DeepCAM): step_num (training iterations, the reference's step counter) on
/// epoch events, learning_rate, train_accuracy and train_loss after each epoch and at every
/// train_progress point, eval_loss beside eval_accuracy, target_accuracy_reached.
std::shared_ptr<const EpochLogRules> hpc_rules();

}  // namespace segbench::mllog
