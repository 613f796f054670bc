// A run's MLLOG file holds one result: a fresh run starts the file anew (an older log at that
// path is set aside, never appended to), and a resumed run continues the file of the run it
// resumes (no second init block or run_start; a run_resumed event marks where it picked up),
// so that the official checker and result summariser read one coherent run.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "segbench/log/mllog.hpp"

namespace segbench::mllog {

/// What a resumed run writes into the log it continues. The interrupted run's set-up events
/// (everything before its run_start) are already in the file: the resumed run's are dropped,
/// after checking that each single one has the logged value, and so is its run_start. The
/// run_resumed event names the checkpoint's epoch K: when the log goes further (the run died
/// after its last checkpoint), the lines of the epochs after K are cut off, so that they are
/// logged once, by the resumed run.
class LogContinuation {
 public:
  /// Reads `file`: ConfigError when it has no run_start, more than one, or a run_stop (that
  /// run is over).
  explicit LogContinuation(const std::filesystem::path& file);

  /// true: write the event; false: drop it. ConfigError when the resumed run's set-up differs
  /// from the logged one, or when its run_resumed epoch is beyond the log's last epoch.
  bool admit(std::string_view key, const nlohmann::json& value, const nlohmann::json& metadata);

  /// The checkpoint being resumed recorded the log's length when it was taken: the admitted
  /// run_resumed cuts the file to exactly that length (instead of after the checkpoint's epoch),
  /// which also places a checkpoint taken mid-epoch. ConfigError when the file is shorter.
  void expect_length(std::uintmax_t length);

  /// After an admitted run_resumed of an epoch before the log's last: the byte length the file
  /// must be cut to (once; empty otherwise).
  std::optional<std::uintmax_t> take_cut();

  /// The highest epoch_num logged after run_start (0 when none).
  int64_t last_epoch() const { return last_epoch_; }

 private:
  std::filesystem::path file_;
  std::multimap<std::string, nlohmann::json, std::less<>> setup_;  ///< events before run_start
  /// After run_start: (epoch_num, byte offset of the line) of every event with an epoch_num.
  std::vector<std::pair<int64_t, std::uintmax_t>> epoch_lines_;
  int64_t last_epoch_ = 0;
  bool past_run_start_ = false;
  std::optional<std::uintmax_t> cut_;
  std::optional<std::uintmax_t> expected_length_;
  std::uintmax_t file_length_ = 0;
};

/// Cuts `file` to its first `length` bytes: the kept part is written to a temporary sibling and
/// renamed over it, so a crash leaves the old or the new file, never a torn one.
void cut_log_file(const std::filesystem::path& file, std::uintmax_t length);

/// A rank-0 log file opened for a run, with the notes worth a line on stderr.
struct RunLog {
  std::unique_ptr<Logger> logger;
  std::vector<std::string> notes;
};

/// Opens `file` for a run. A fresh run (`resuming` false) sets a non-empty older file aside as
/// `<file>.<N>` (the first free N) and starts a new one. A resumed run continues the file when
/// it holds an interrupted run (LogContinuation); a missing or empty file, or one that never got
/// to run_start, gives a fresh log. `echo` (may be null) receives every written line too.
RunLog open_run_log(const std::filesystem::path& file, bool resuming, std::ostream* echo);

}  // namespace segbench::mllog
