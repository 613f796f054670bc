#include "segbench/run/run_environment.hpp"

#include <fmt/core.h>

#include <random>

#include "segbench/error.hpp"

namespace segbench {

int64_t resolve_seed(int64_t requested) {
  if (requested >= 0) return requested;
  SEGBENCH_CHECK(requested == -1, ConfigError, "--seed must be >= 0 or -1 (random), got {}",
                 requested);
  std::random_device device;
  return static_cast<int64_t>(device() & 0x7fffffffu);
}

std::string default_platform(int world_size, int threads, const std::string& accelerator) {
  return fmt::format("{}x{}-{}thread", world_size, accelerator, threads);
}

}  // namespace segbench
