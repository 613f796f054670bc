#include "segbench/train/stop_signal.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>

namespace segbench {
namespace {

volatile std::sig_atomic_t stop_signal_seen = 0;

extern "C" void remember_stop_signal(int signal) {
  if (stop_signal_seen != 0) {
    // The second signal: stop now. A checkpoint being written stays a temporary file; the
    // last complete one is untouched.
    static const char kMessage[] = "segbench: second stop signal: exiting at once\n";
    [[maybe_unused]] const auto ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(128 + signal);
  }
  stop_signal_seen = 1;
}

}  // namespace

std::function<bool()> install_stop_signals() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = remember_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return [] { return stop_signal_seen != 0; };
}

}  // namespace segbench
