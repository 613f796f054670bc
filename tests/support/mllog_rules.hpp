// Re-statements of the MLPerf compliance rules used by the tests to check segbench's logs:
// training-4.0.0 unet3d (fidelity §4.2) and HPC-3.0.0 deepcam (fidelity §4.3). Validated against
// the official checker's verdicts on ../shared/mllog-examples (accepted and rejected logs).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "segbench/log/mllog_reader.hpp"

namespace segbench::testing {

using MllogLine = mllog::LoggedEvent;

/// Parses every ":::MLLOG" line of a file (text before the token is ignored, non-JSON
/// lines are skipped); a JSON line without the required fields is reported as a problem.
std::vector<MllogLine> parse_mllog_file(const std::string& path,
                                        std::vector<std::string>& problems);

/// Same as parse_mllog_file, on log text held in memory.
std::vector<MllogLine> parse_mllog_text(const std::string& text,
                                        std::vector<std::string>& problems);

/// All rule violations for the given division ("closed" or "open"); empty = compliant.
std::vector<std::string> check_unet3d_rules(const std::vector<MllogLine>& lines);

/// All violations of the HPC-3.0.0 deepcam rules; empty = compliant. The division comes
/// from the log's submission_division, as in the official checker: closed applies
/// common + closed_common + closed_deepcam (+ the LAMB / multistep / cosine_annealing
/// files chosen by opt_name and scheduler_type); open applies common + open_common +
/// open_deepcam, which asks for no hyper-parameters (no number_of_nodes, no scheduler_type).
/// A key that EXACTLY_ONE names may repeat with an identical value (the checker only warns).
std::vector<std::string> check_deepcam_rules(const std::vector<MllogLine>& lines);

}  // namespace segbench::testing
