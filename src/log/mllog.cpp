#include "segbench/log/mllog.hpp"

#include <fmt/core.h>
#include <chrono>
#include <cmath>

#include "segbench/error.hpp"
#include "segbench/log/log_file.hpp"
#include "segbench/log/mllog_keys.hpp"

namespace segbench::mllog {
namespace {

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::interval_start:
      return "INTERVAL_START";
    case EventType::interval_end:
      return "INTERVAL_END";
    case EventType::point_in_time:
      return "POINT_IN_TIME";
  }
  return "POINT_IN_TIME";
}

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// mllog swallows encoding problems; segbench fails loudly instead (a NaN would
// otherwise be written as null and the checker would misread the run).
void require_finite(const nlohmann::json& value, std::string_view key) {
  if (value.is_number_float()) {
    SEGBENCH_CHECK(std::isfinite(value.get<double>()), Error, "MLLOG key '{}': value is not finite",
                   key);
  } else if (value.is_structured()) {
    for (const auto& item : value) require_finite(item, key);
  }
}

}  // namespace

std::string format_line(EventType type, std::string_view key, const nlohmann::json& value,
                        nlohmann::json metadata, long long time_ms,
                        const std::source_location& where) {
  require_finite(value, key);
  SEGBENCH_CHECK(metadata.is_object(), Error, "MLLOG key '{}': metadata must be an object", key);
  nlohmann::ordered_json line;
  line["namespace"] = "";
  line["time_ms"] = time_ms;
  line["event_type"] = event_type_name(type);
  line["key"] = std::string(key);
  line["value"] = value;
  nlohmann::ordered_json meta;
  meta["file"] = std::filesystem::path(where.file_name()).filename().string();
  meta["lineno"] = static_cast<long long>(where.line());
  for (const auto& [k, v] : metadata.items()) meta[k] = v;
  line["metadata"] = std::move(meta);
  return ":::MLLOG " + line.dump();
}

Logger::Logger(const std::filesystem::path& file, std::ostream* echo) : path_(file), echo_(echo) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  try {
    file_ = io::CheckedFile(file, io::CheckedFile::Mode::append);
  } catch (const DataError& e) {
    throw DataError(fmt::format("cannot open MLLOG file: {}", e.what()));
  }
}

void Logger::continue_run(std::shared_ptr<LogContinuation> continuation) {
  std::lock_guard lock(*mutex_);
  continuation_ = std::move(continuation);
}

void Logger::resume_at_length(std::optional<std::uintmax_t> length) {
  std::lock_guard lock(*mutex_);
  if (continuation_ && length) continuation_->expect_length(*length);
}

std::optional<std::uintmax_t> Logger::file_length() const {
  std::lock_guard lock(*mutex_);
  if (!file_.is_open()) return std::nullopt;
  if (!failure_.empty()) throw DataError(failure_);
  try {
    file_.sync();
  } catch (const DataError& e) {
    throw DataError(fmt::format("MLLOG file {}", e.what()));
  }
  return file_.size();
}

void Logger::start(std::string_view key, const nlohmann::json& value, nlohmann::json metadata,
                   std::source_location where) {
  write(EventType::interval_start, key, value, std::move(metadata), where);
}
void Logger::end(std::string_view key, const nlohmann::json& value, nlohmann::json metadata,
                 std::source_location where) {
  write(EventType::interval_end, key, value, std::move(metadata), where);
}
void Logger::event(std::string_view key, const nlohmann::json& value, nlohmann::json metadata,
                   std::source_location where) {
  write(EventType::point_in_time, key, value, std::move(metadata), where);
}

void Logger::write(EventType type, std::string_view key, const nlohmann::json& value,
                   nlohmann::json metadata, const std::source_location& where) {
  if (!enabled()) return;
  std::lock_guard lock(*mutex_);
  if (!failure_.empty()) throw DataError(failure_);
  if (continuation_) {
    if (!continuation_->admit(key, value, metadata)) return;
    if (const auto cut = continuation_->take_cut()) {
      // Epochs logged after the resumed checkpoint go; the stream then appends to the new file.
      file_ = io::CheckedFile();
      cut_log_file(path_, *cut);
      try {
        file_ = io::CheckedFile(path_, io::CheckedFile::Mode::append);
      } catch (const DataError& e) {
        throw DataError(fmt::format("cannot reopen MLLOG file: {}", e.what()));
      }
    }
  }
  const std::string line = format_line(type, key, value, std::move(metadata), now_ms(), where);
  if (file_.is_open()) {
    const std::uintmax_t before = file_.size();
    try {
      file_.write(line + '\n');
      const auto now = std::chrono::steady_clock::now();
      if (now - last_sync_ >= std::chrono::seconds(1) || key == key::kInitStop ||
          key == key::kRunStart || key == key::kRunStop) {
        file_.sync();
        last_sync_ = now;
      }
    } catch (const DataError& e) {
      file_.truncate_quietly(before);  // no torn last line for a reader or a resumed run
      failure_ = fmt::format(
          "MLLOG file {}; the run stops here rather than go on with a log that lost events "
          "(the log holds every event before '{}')",
          e.what(), key);
      throw DataError(failure_);
    }
  }
  if (echo_) *echo_ << line << '\n' << std::flush;
}

}  // namespace segbench::mllog
