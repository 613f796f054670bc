// mllog-check [--ruleset unet3d|deepcam] LOG: exits 0 when the log meets the chosen rules
// (default unet3d: training 4.0.0; deepcam: HPC 3.0.0), else prints every violation and
// exits 1 (2 on a usage error). Used by the integration tests on the drivers' own logs.
#include <fmt/core.h>

#include <string>
#include <vector>

#include "support/mllog_rules.hpp"

namespace {

int usage() {
  fmt::print(stderr, "usage: mllog-check [--ruleset unet3d|deepcam] LOG\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::string ruleset = "unet3d";
  std::string log;
  if (args.size() == 1) {
    log = args[0];
  } else if (args.size() == 3 && args[0] == "--ruleset") {
    ruleset = args[1];
    log = args[2];
  } else {
    return usage();
  }
  if (ruleset != "unet3d" && ruleset != "deepcam") {
    fmt::print(stderr, "mllog-check: unknown ruleset '{}', expected unet3d or deepcam\n", ruleset);
    return usage();
  }
  const std::string rules_name =
      ruleset == "unet3d" ? "training 4.0.0 unet3d rules" : "HPC 3.0.0 deepcam rules";

  std::vector<std::string> problems;
  const auto lines = segbench::testing::parse_mllog_file(log, problems);
  const auto violations = ruleset == "unet3d" ? segbench::testing::check_unet3d_rules(lines)
                                              : segbench::testing::check_deepcam_rules(lines);
  problems.insert(problems.end(), violations.begin(), violations.end());
  for (const auto& p : problems) fmt::print(stderr, "{}: {}\n", log, p);
  if (problems.empty()) {
    fmt::print("{}: {} events, compliant ({})\n", log, lines.size(), rules_name);
  } else {
    fmt::print(stderr, "{}: {} problem(s) under the {}\n", log, problems.size(), rules_name);
  }
  return problems.empty() ? 0 : 1;
}
