#include "segbench/train/memory_check.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include "segbench/error.hpp"

namespace segbench {
namespace {

std::optional<std::uint64_t> read_number(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::uint64_t> available_host_memory() {
  std::optional<std::uint64_t> available;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") available = kib * 1024;
  }
  const auto limit = read_number("/sys/fs/cgroup/memory.max");
  const auto used = read_number("/sys/fs/cgroup/memory.current");
  if (limit && used && *limit > *used) {
    const std::uint64_t cgroup_left = *limit - *used;
    if (!available || cgroup_left < *available) available = cgroup_left;
  }
  return available;
}

void check_batch_fits(std::uint64_t bytes_per_sample, std::uint64_t batch_size,
                      std::optional<std::uint64_t> available) {
  if (!available) return;
  const double needed = static_cast<double>(bytes_per_sample) * static_cast<double>(batch_size);
  SEGBENCH_CHECK(needed <= static_cast<double>(*available), ConfigError,
                 "batch size {}: the batch alone needs {:.1f} GB ({:.1f} MB per sample) and {:.1f} "
                 "GB of memory are available; the step needs more still (activations): use a "
                 "smaller batch, or more ranks",
                 batch_size, needed / 1e9, static_cast<double>(bytes_per_sample) / 1e6,
                 static_cast<double>(*available) / 1e9);
}

}  // namespace segbench
