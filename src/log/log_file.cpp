#include "segbench/log/log_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/log/mllog_keys.hpp"
#include "segbench/log/mllog_reader.hpp"

namespace segbench::mllog {
namespace fs = std::filesystem;
namespace {

// A log file's events and the byte offset at which each of its lines starts (index 0: line
// 1; one more entry than whole lines), from one read.
struct LogLines {
  std::vector<LoggedEvent> events;
  std::vector<std::uintmax_t> line_starts{0};
  std::uintmax_t size = 0;
};

LogLines read_log_lines(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  SEGBENCH_CHECK(in.good(), ConfigError, "cannot read MLLOG file {}", file.string());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LogLines lines;
  lines.size = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') lines.line_starts.push_back(i + 1);
  }
  std::istringstream stream(text);
  std::vector<std::string> problems;
  lines.events = read_mllog(stream, problems);
  return lines;
}

bool has_key(const std::vector<LoggedEvent>& events, std::string_view key) {
  return std::any_of(events.begin(), events.end(), [&](const auto& e) { return e.key == key; });
}

// <file>.1, <file>.2, ...: the first name not taken.
fs::path set_aside(const fs::path& file) {
  for (int n = 1;; ++n) {
    fs::path aside = file;
    aside += fmt::format(".{}", n);
    if (!fs::exists(aside)) {
      fs::rename(file, aside);
      return aside;
    }
  }
}

}  // namespace

LogContinuation::LogContinuation(const fs::path& file) : file_(file) {
  const LogLines lines = read_log_lines(file);
  file_length_ = fs::file_size(file);
  bool after_run_start = false;
  for (const LoggedEvent& e : lines.events) {
    if (e.key == key::kRunStart) {
      SEGBENCH_CHECK(!after_run_start, ConfigError,
                     "{}: more than one run_start (line {}); a resumed run cannot continue it",
                     file.string(), e.line_number);
      after_run_start = true;
    } else if (e.key == key::kRunStop) {
      throw ConfigError(
          fmt::format("{} already ends its run (run_stop, status {}, line {}): a resumed run "
                      "continues the log of an interrupted run; give it another log directory",
                      file.string(), e.metadata.value("status", std::string("?")), e.line_number));
    } else if (!after_run_start) {
      setup_.emplace(e.key, e.value);
    } else if (e.metadata.contains("epoch_num") && e.metadata["epoch_num"].is_number_integer()) {
      const auto epoch = e.metadata["epoch_num"].get<int64_t>();
      last_epoch_ = std::max(last_epoch_, epoch);
      epoch_lines_.emplace_back(epoch,
                                lines.line_starts.at(static_cast<std::size_t>(e.line_number - 1)));
    }
  }
  SEGBENCH_CHECK(after_run_start, ConfigError, "{}: no run_start; nothing to continue",
                 file.string());
}

bool LogContinuation::admit(std::string_view key, const nlohmann::json& value,
                            const nlohmann::json& metadata) {
  if (!past_run_start_) {
    if (key == key::kRunStart) {
      past_run_start_ = true;
      return false;
    }
    const auto [first, last] = setup_.equal_range(key);
    SEGBENCH_CHECK(first != last, ConfigError,
                   "{}: the resumed run logs {} before its run_start, which the interrupted run "
                   "did not; resume with the same configuration or start a new log",
                   file_.string(), key);
    // A key logged once must keep its value (hyperparameters, seed, shape), except the
    // checkpoint a run starts from (run_resumed names the resumed one); repeated keys (one
    // weights_initialization per tensor) are not compared one by one.
    SEGBENCH_CHECK(std::next(first) != last || first->second == value || key == key::kCheckpoint,
                   ConfigError,
                   "{}: the resumed run logs {} = {}, the interrupted run logged {}; resume "
                   "with the same configuration or start a new log",
                   file_.string(), key, value.dump(), first->second.dump());
    return false;
  }
  if (key == key::kRunResumed) {
    const int64_t epoch = metadata.value("epoch_num", int64_t{-1});
    SEGBENCH_CHECK(epoch >= 0 && epoch <= last_epoch_, ConfigError,
                   "{} holds epochs up to {}, but the checkpoint resumes after epoch {}: the log "
                   "would miss epochs; resume from the checkpoint this log belongs to or start a "
                   "new log",
                   file_.string(), last_epoch_, epoch);
    if (expected_length_) {
      if (*expected_length_ < file_length_) cut_ = *expected_length_;
      return true;
    }
    // The run died after its checkpoint: the later epochs are logged again by this run.
    const auto later = std::find_if(epoch_lines_.begin(), epoch_lines_.end(),
                                    [epoch](const auto& line) { return line.first > epoch; });
    if (later != epoch_lines_.end()) cut_ = later->second;
  }
  return true;
}

void LogContinuation::expect_length(std::uintmax_t length) {
  SEGBENCH_CHECK(length <= file_length_, ConfigError,
                 "{} has {} bytes, but the checkpoint was taken when it had {}: this log lost "
                 "lines (or belongs to another run); resume with the log the checkpoint belongs "
                 "to or start a new log",
                 file_.string(), file_length_, length);
  expected_length_ = length;
}

std::optional<std::uintmax_t> LogContinuation::take_cut() {
  return std::exchange(cut_, std::nullopt);
}

void cut_log_file(const fs::path& file, std::uintmax_t length) {
  std::ifstream in(file, std::ios::binary);
  std::string kept(length, '\0');
  in.read(kept.data(), static_cast<std::streamsize>(length));
  SEGBENCH_CHECK(in.gcount() == static_cast<std::streamsize>(length), Error,
                 "cannot cut MLLOG file {} to {} bytes: it is shorter", file.string(), length);
  io::write_text_atomically(file, kept);
}

RunLog open_run_log(const fs::path& file, bool resuming, std::ostream* echo) {
  RunLog run_log;
  std::error_code ec;
  const bool has_content = fs::exists(file, ec) && fs::file_size(file, ec) > 0 && !ec;
  std::shared_ptr<LogContinuation> continuation;
  const LogLines lines = has_content && resuming ? read_log_lines(file) : LogLines{};
  if (has_content && resuming && has_key(lines.events, key::kRunStart)) {
    // A run killed while writing leaves a torn last line: appending to it would make the next
    // event unreadable too.
    const std::uintmax_t whole_lines = lines.line_starts.back();
    if (whole_lines < lines.size) {
      cut_log_file(file, whole_lines);
      run_log.notes.push_back(fmt::format("dropped the torn last line of {}", file.string()));
    }
    continuation = std::make_shared<LogContinuation>(file);
    run_log.notes.push_back(
        fmt::format("continuing the MLLOG of the interrupted run in {} "
                    "(its last logged epoch is {})",
                    file.string(), continuation->last_epoch()));
  } else if (has_content) {
    const fs::path aside = set_aside(file);
    run_log.notes.push_back(
        fmt::format("an older MLLOG file was at {}: kept as {}", file.string(), aside.string()));
  }
  run_log.logger = std::make_unique<Logger>(file, echo);
  if (continuation) run_log.logger->continue_run(std::move(continuation));
  return run_log;
}

}  // namespace segbench::mllog
