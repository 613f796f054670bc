// MLPerf logging: one ":::MLLOG {json}" line per event, keys in mllog's order
// (namespace, time_ms, event_type, key, value, metadata) and the caller's file/lineno
// in metadata, so the official compliance checker and result summariser accept it.
#pragma once

#include <nlohmann/json.hpp>

#include "segbench/io/checked_file.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <source_location>
#include <string>
#include <string_view>

namespace segbench::mllog {

class LogContinuation;

enum class EventType { interval_start, interval_end, point_in_time };

/// Formats one log line (without trailing newline). Exposed for tests.
std::string format_line(EventType type, std::string_view key, const nlohmann::json& value,
                        nlohmann::json metadata, long long time_ms,
                        const std::source_location& where);

class Logger {
 public:
  /// A logger that writes nowhere (e.g. on ranks other than 0).
  Logger() = default;
  /// Appends to `file` (created with its parent directories); echoes to `echo` if non-null.
  /// Every line is written whole (checked) and fsynced at init_stop, run_start, run_stop, when
  /// the checkpoint asks for file_length(), and otherwise at most once a second (fsyncing every
  /// line cost ~4 ms a line on this project's machine). A failed write or fsync (a full disk)
  /// throws DataError naming the file, the torn line is cut off again, and every later event throws
  /// too, so a run never goes on with a log that silently lost events.
  explicit Logger(const std::filesystem::path& file, std::ostream* echo = nullptr);
  /// Writes to a stream only (no file).
  explicit Logger(std::ostream& echo) : echo_(&echo) {}

  void start(std::string_view key, const nlohmann::json& value = nullptr,
             nlohmann::json metadata = nlohmann::json::object(),
             std::source_location where = std::source_location::current());
  void end(std::string_view key, const nlohmann::json& value = nullptr,
           nlohmann::json metadata = nlohmann::json::object(),
           std::source_location where = std::source_location::current());
  void event(std::string_view key, const nlohmann::json& value = nullptr,
             nlohmann::json metadata = nlohmann::json::object(),
             std::source_location where = std::source_location::current());

  /// From now on, events go through `continuation` (log_file.hpp): a resumed run's events that
  /// the continued file already holds are dropped.
  void continue_run(std::shared_ptr<LogContinuation> continuation);

  /// A resumed run: the checkpoint's record of this log's length (see
  /// LogContinuation::expect_length); nothing without a continuation or a length.
  void resume_at_length(std::optional<std::uintmax_t> length);
  /// Bytes in the log file so far (empty without a file): what a checkpoint records. The file
  /// is fsynced first (DataError naming it when that fails).
  std::optional<std::uintmax_t> file_length() const;

  bool enabled() const { return file_.is_open() || echo_ != nullptr; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void write(EventType type, std::string_view key, const nlohmann::json& value,
             nlohmann::json metadata, const std::source_location& where);

  std::filesystem::path path_;
  io::CheckedFile file_;
  std::string failure_;  // set by the first failed write; later events rethrow it
  std::chrono::steady_clock::time_point last_sync_{};
  std::ostream* echo_ = nullptr;
  std::shared_ptr<LogContinuation> continuation_;
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
};

}  // namespace segbench::mllog
