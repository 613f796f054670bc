// A batch size the machine cannot hold is refused at start-up with the figures, instead of the
// kernel's OOM killer ending the run minutes later without a word. No torch here.
#pragma once

#include <cstdint>
#include <optional>

namespace segbench {

/// Bytes this process may still allocate: MemAvailable of /proc/meminfo, capped by the cgroup
/// (v2 memory.max − memory.current) when there is one. Empty when neither can be read.
std::optional<std::uint64_t> available_host_memory();

/// ConfigError when `batch_size` samples of `bytes_per_sample` (what one transformed training
/// sample holds) exceed `available` bytes: a lower bound of the step's memory, which also needs
/// the activations.
void check_batch_fits(std::uint64_t bytes_per_sample, std::uint64_t batch_size,
                      std::optional<std::uint64_t> available);

}  // namespace segbench
