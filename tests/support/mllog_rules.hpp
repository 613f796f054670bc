// A re-statement of the MLPerf training-4.0.0 unet3d compliance rules (SPEC §4.2) used by
// the tests to check segbench's logs. Validated against the official checker's verdicts
// on ../shared/mllog-examples (accepted and rejected logs).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace segbench::testing {

struct MllogLine {
  std::string event_type;
  std::string key;
  nlohmann::json value;
  nlohmann::json metadata;
  double time_ms = 0;
};

/// Parses every ":::MLLOG" line of a file (text before the token is ignored, non-JSON
/// lines are skipped); a JSON line without the required fields is reported as a problem.
std::vector<MllogLine> parse_mllog_file(const std::string& path,
                                        std::vector<std::string>& problems);

/// All rule violations for the given division ("closed" or "open"); empty = compliant.
std::vector<std::string> check_unet3d_rules(const std::vector<MllogLine>& lines);

}  // namespace segbench::testing
