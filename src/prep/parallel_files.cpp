#include "segbench/prep/parallel_files.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::prep {

std::vector<std::size_t> RankShare::indices(std::size_t count) const {
  std::vector<std::size_t> mine;
  for (std::size_t i = static_cast<std::size_t>(rank); i < count;
       i += static_cast<std::size_t>(size))
    mine.push_back(i);
  return mine;
}

int resolve_jobs(int requested) {
  SEGBENCH_CHECK(requested >= 0, ConfigError,
                 "--jobs: expected 0 (every core) or a positive count, found {}", requested);
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t value = 0;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value * 1024;
  }
  return 0;
}

int cap_jobs_by_memory(int jobs, std::uint64_t bytes_per_job, std::ostream* note) {
  const std::uint64_t available = available_memory_bytes();
  if (available == 0 || bytes_per_job == 0) return jobs;
  const auto fit = static_cast<int>(
      std::min<std::uint64_t>(std::numeric_limits<int>::max(),
                              std::max<std::uint64_t>(1, available / 10 * 8 / bytes_per_job)));
  const int capped = std::min(jobs, fit);
  if (note) {
    fmt::print(*note,
               "{} job(s){}: each needs about {:.0f} MB (estimate for the largest input), "
               "{:.0f} MB are available\n",
               capped, capped < jobs ? fmt::format(" (--jobs {} lowered to fit memory)", jobs) : "",
               static_cast<double>(bytes_per_job) / 1e6, static_cast<double>(available) / 1e6);
  }
  return capped;
}

void for_each_index(std::size_t count, int jobs, const std::function<void(std::size_t)>& task) {
  const std::size_t threads =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(jobs, 1)), count);
  if (threads <= 1) {
    for (std::size_t i = 0; i < count; ++i) task(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::size_t error_index = count;
  std::exception_ptr error;
  const auto worker = [&] {
    while (!failed.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      try {
        task(i);
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (i < error_index) {
          error_index = i;
          error = std::current_exception();
        }
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  if (error) std::rethrow_exception(error);
}

namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

}  // namespace

ProgressMeter::ProgressMeter(std::ostream* out, std::string label, std::size_t total,
                             std::size_t already_done)
    : out_(out),
      label_(std::move(label)),
      total_(total),
      skipped_(already_done),
      done_(already_done),
      start_(std::chrono::steady_clock::now()) {}

void ProgressMeter::finished(std::string_view name, std::uint64_t bytes, std::string_view detail) {
  const std::lock_guard lock(mutex_);
  ++done_;
  bytes_ += bytes;
  if (!out_) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double worked = static_cast<double>(done_ - skipped_);
  const double files_per_s = seconds > 0 ? worked / seconds : 0.0;
  const double mb_per_s = seconds > 0 ? static_cast<double>(bytes_) / 1e6 / seconds : 0.0;
  const double eta = files_per_s > 0 ? static_cast<double>(total_ - done_) / files_per_s : 0.0;
  fmt::print(*out_, "[{}/{}] {}{} ({:.2f} files/s, {:.1f} MB/s, ETA {})\n", done_, total_, name,
             detail, files_per_s, mb_per_s, clock_text(eta));
  out_->flush();
}

std::size_t ProgressMeter::done() const {
  const std::lock_guard lock(mutex_);
  return done_;
}

std::string ProgressMeter::summary() const {
  const std::lock_guard lock(mutex_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double worked = static_cast<double>(done_ - skipped_);
  return fmt::format("{}: {} files in {:.1f} s ({:.2f} files/s, {:.1f} MB/s)", label_,
                     done_ - skipped_, seconds, seconds > 0 ? worked / seconds : 0.0,
                     seconds > 0 ? static_cast<double>(bytes_) / 1e6 / seconds : 0.0);
}

}  // namespace segbench::prep
