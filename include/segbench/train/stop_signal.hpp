// SIGUSR1 (Slurm's warning before pre-emption, `--signal=B:USR1@120`) and SIGTERM ask the
// training loop to stop cleanly at the next iteration boundary, with a checkpoint to resume
// from; a second such signal ends the process at once (exit 128 + signal), leaving the last
// complete checkpoint as it was.
#pragma once

#include <functional>

namespace segbench {

/// Installs the handlers and returns the poller for TrainerOptions::stop_requested.
std::function<bool()> install_stop_signals();

}  // namespace segbench
