// The Trainer concept: runs epochs until the quality target or the epoch budget.
#pragma once

#include <concepts>
#include <string>

namespace segbench {

/// How a run ended (MLPerf run_stop status).
enum class RunStatus { success, aborted };

struct TrainOutcome {
  RunStatus status = RunStatus::aborted;
  int epochs_run = 0;
  double last_quality = 0.0;             ///< last evaluated metric (e.g. mean Dice)
  double seconds_to_stop = 0.0;          ///< run_start → run_stop wall time
  double train_seconds = 0.0;            ///< of which in training epochs (no evaluation)
  double samples_trained = 0.0;          ///< global samples seen in those epochs
  std::string reason;                    ///< "target reached", "max epochs", "diverged"
  double gradient_bytes_per_step = 0.0;  ///< payload of one gradient averaging (0: one process)
  double gradient_seconds = 0.0;         ///< time spent averaging gradients
};

template <class T>
concept Trainer = requires(T& t) {
  { t.fit() } -> std::same_as<TrainOutcome>;
};

}  // namespace segbench
