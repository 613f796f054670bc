// Where a training run stands: everything a checkpoint holds besides the model and optimizer
// tensors, so that a resumed run continues bitwise where the interrupted one stopped (at an
// epoch end or between two iterations). No torch here: `segbench-data checkpoint-info` prints
// it without LibTorch.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace segbench {

struct RunState {
  int64_t next_epoch = 1;       ///< 1-based epoch the run continues with
  int64_t next_iteration = 0;   ///< iterations of next_epoch already trained (0: a fresh epoch)
  bool finished = false;        ///< the run ended (target, abort, epoch budget): nothing to resume
  int64_t optimizer_steps = 0;  ///< global, across epochs
  int64_t iterations = 0;       ///< global, across epochs
  double last_quality = 0.0;    ///< last evaluated metric (0 if none yet)
  double best_quality = -std::numeric_limits<double>::infinity();  ///< for early stopping
  int64_t evals_since_best = 0;
  /// The interrupted epoch's running figures (mid-epoch checkpoints).
  double epoch_loss_sum = 0.0;
  double last_loss = 0.0;
  double last_accuracy = -1.0;
  std::vector<double> schedule_state{};  ///< LearningRateSchedule::state()
  double elapsed_seconds = 0.0;          ///< since run_start, when the checkpoint was taken
  double train_seconds = 0.0;            ///< of which training
  double samples_trained = 0.0;
  double epoch_seconds_sum = 0.0;  ///< for the progress line's ETA
  int64_t epochs_timed = 0;
  int64_t seed = 0;
  int world_size = 1;
  nlohmann::json config = nlohmann::json::object();  ///< the run's resolved configuration
  /// Length of rank 0's result log when the checkpoint was taken: a resumed run cuts what was
  /// logged after it, so that those lines are logged once.
  std::optional<std::uintmax_t> log_bytes{};
};

nlohmann::json to_json(const RunState& state);
/// TrainingError naming `source` when a field is missing or of the wrong type.
RunState run_state_from_json(const nlohmann::json& j, const std::string& source);

/// The configuration keys whose values differ between a checkpoint's run and this one, other
/// than those a resumed run may change (paths, epoch budget, threads, workers, device,
/// launcher, logging cadence, checkpoint cadence, submission fields).
std::vector<std::string> resume_config_differences(const nlohmann::json& saved,
                                                   const nlohmann::json& now);

}  // namespace segbench
