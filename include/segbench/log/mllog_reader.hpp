// Reads ":::MLLOG {json}" lines back, as the official checker's parser does: text before the
// token is ignored, and a line that mentions the token but holds no JSON is skipped.
#pragma once

#include <nlohmann/json.hpp>

#include <istream>
#include <string>
#include <vector>

namespace segbench::mllog {

/// One logged event as read back from a log.
struct LoggedEvent {
  std::string event_type;
  std::string key;
  nlohmann::json value;
  nlohmann::json metadata;
  double time_ms = 0;
  int line_number = 0;  ///< 1-based line in the text read
};

/// Every MLLOG event of `in`. A JSON line that lacks one of the required fields (time_ms, key,
/// value, metadata, event_type) is reported in `problems`; one without key or metadata is
/// dropped.
std::vector<LoggedEvent> read_mllog(std::istream& in, std::vector<std::string>& problems);

}  // namespace segbench::mllog
