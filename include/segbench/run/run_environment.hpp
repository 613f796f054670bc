// Small facts about the run that are resolved once at start-up. No torch here.
#pragma once

#include <cstdint>
#include <string>

namespace segbench {

/// The requested seed, or a fresh one from std::random_device when it is -1.
int64_t resolve_seed(int64_t requested);

/// MLPerf submission_platform when none is given: "<world>x<accelerator>-<threads>thread"
/// (accelerator CPU or GPU) — honest about what ran.
std::string default_platform(int world_size, int threads, const std::string& accelerator = "CPU");

}  // namespace segbench
