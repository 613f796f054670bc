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
  /// A stop signal ended the run before its end (checkpointed at an iteration boundary when it
  /// has a checkpoint path): the drivers exit with kExitStoppedForResume.
  bool stopped_by_signal = false;
  std::string checkpoint{};  ///< the last checkpoint file written ("" = none)
};

/// Exit codes of the drivers: 0 the target was reached; 1 the run ended without it (epoch
/// budget, early stopping, divergence rule); 2 an error (bad input, configuration, I/O, a lost
/// rank, non-finite training values); kExitStoppedForResume a stop signal (SIGUSR1/SIGTERM)
/// ended it early, to be resumed (the sbatch scripts requeue on it). 75 is EX_TEMPFAIL.
inline constexpr int kExitStoppedForResume = 75;

template <class T>
concept Trainer = requires(T& t) {
  { t.fit() } -> std::same_as<TrainOutcome>;
};

}  // namespace segbench
