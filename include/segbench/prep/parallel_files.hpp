// One task per input file on several threads (segbench-data --jobs), with the results kept in
// input order so that every output is the same whatever the number of jobs, and a progress
// line with files/s, MB/s and an ETA for long runs. No torch here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace segbench::prep {

/// One process's share of the files when several processes (MPI ranks) split a tool's work:
/// file i belongs to rank i % size (round robin keeps the ranks' shares within one file).
struct RankShare {
  int rank = 0;
  int size = 1;
  bool owns(std::size_t index) const {
    return static_cast<int>(index % static_cast<std::size_t>(size)) == rank;
  }
  /// The indices in [0, count) this rank owns, increasing.
  std::vector<std::size_t> indices(std::size_t count) const;
};

/// --jobs: 0 means every core (std::thread::hardware_concurrency, at least 1); a negative
/// count is a ConfigError.
int resolve_jobs(int requested);

/// Available memory in bytes (MemAvailable of /proc/meminfo); 0 when it cannot be read.
std::uint64_t available_memory_bytes();

/// `jobs` lowered so that jobs * bytes_per_job stays within 80 % of the available memory (at
/// least 1); prints the count, the estimate and the available memory to `note`. Unchanged when
/// the memory is unknown.
int cap_jobs_by_memory(int jobs, std::uint64_t bytes_per_job, std::ostream* note = nullptr);

/// Runs task(i) for every i in [0, count) on min(jobs, count) threads; with one job on the
/// calling thread in order. Indices are claimed in increasing order. After a task throws no
/// new index is claimed, the running ones finish, and the exception of the lowest failing index
/// is rethrown: the same error as with one job.
void for_each_index(std::size_t count, int jobs, const std::function<void(std::size_t)>& task);

/// A thread-safe progress line per finished item:
/// "[k/n] <name><detail> (f files/s, m MB/s, ETA h:mm:ss)". Without a stream it only
/// counts. `already_done` items (skipped on resume) count as done but not in the rates.
class ProgressMeter {
 public:
  ProgressMeter(std::ostream* out, std::string label, std::size_t total,
                std::size_t already_done = 0);

  /// One item finished; `bytes` is the input it read (for MB/s).
  void finished(std::string_view name, std::uint64_t bytes, std::string_view detail = {});

  std::size_t done() const;
  /// "<label>: n files in s s (f files/s, m MB/s)" for a closing line.
  std::string summary() const;

 private:
  std::ostream* out_;
  std::string label_;
  std::size_t total_;
  std::size_t skipped_;
  std::size_t done_ = 0;
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
};

}  // namespace segbench::prep
