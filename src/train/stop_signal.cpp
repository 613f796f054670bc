#include "segbench/train/stop_signal.hpp"

#include <csignal>

namespace segbench {
namespace {

volatile std::sig_atomic_t stop_signal_seen = 0;

extern "C" void remember_stop_signal(int) {
  stop_signal_seen = 1;
}

}  // namespace

std::function<bool()> install_stop_signals() {
  std::signal(SIGUSR1, remember_stop_signal);
  std::signal(SIGTERM, remember_stop_signal);
  return [] { return stop_signal_seen != 0; };
}

}  // namespace segbench
