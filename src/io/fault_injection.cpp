#include "segbench/io/fault_injection.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace segbench::io {
namespace {

struct InjectedFaults {
  std::string spec;                     // the SEGBENCH_FAULT_INJECT these were parsed from
  std::vector<std::string> fail_paths;  // write_fail:<text>
  bool budgeted = false;                // disk_budget:<bytes>
  std::uint64_t budget = 0;
  std::uint64_t used = 0;
};

InjectedFaults parse(const std::string& spec) {
  InjectedFaults faults{spec, {}, false, 0, 0};
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string entry = spec.substr(start, comma - start);
    if (entry.starts_with("write_fail:") && entry.size() > 11) {
      faults.fail_paths.push_back(entry.substr(11));
    } else if (entry.starts_with("disk_budget:")) {
      faults.budgeted = true;
      faults.budget = std::strtoull(entry.c_str() + 12, nullptr, 10);
    }
    start = comma + 1;
  }
  return faults;
}

}  // namespace

std::size_t injected_write_allowance(const std::filesystem::path& path, std::size_t bytes) {
  const char* env = std::getenv("SEGBENCH_FAULT_INJECT");
  if (env == nullptr || *env == '\0') return bytes;
  static std::mutex mutex;
  static InjectedFaults faults;
  std::lock_guard lock(mutex);
  if (faults.spec != env) faults = parse(env);
  const std::string name = path.string();
  for (const auto& text : faults.fail_paths) {
    if (name.find(text) != std::string::npos) return 0;
  }
  if (!faults.budgeted) return bytes;
  const std::uint64_t left = faults.budget - std::min(faults.used, faults.budget);
  const std::size_t allowed = static_cast<std::size_t>(std::min<std::uint64_t>(left, bytes));
  faults.used += allowed;
  return allowed;
}

}  // namespace segbench::io
