// SIGUSR1 (Slurm's warning before pre-emption, `--signal=B:USR1@120`) and SIGTERM ask the
// training loop to stop cleanly after the current epoch, with a checkpoint to resume from.
#pragma once

#include <functional>

namespace segbench {

/// Installs the handlers and returns the poller for TrainerOptions::stop_requested.
std::function<bool()> install_stop_signals();

}  // namespace segbench
