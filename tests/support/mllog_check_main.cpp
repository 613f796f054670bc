// mllog-check LOG: exits 0 when the log meets the training-4.0.0 unet3d rules, else prints
// every violation and exits 1. Used by the integration tests on the driver's own logs.
#include <fmt/core.h>

#include "support/mllog_rules.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: mllog-check LOG\n");
    return 2;
  }
  std::vector<std::string> problems;
  const auto lines = segbench::testing::parse_mllog_file(argv[1], problems);
  for (const auto& p : segbench::testing::check_unet3d_rules(lines)) problems.push_back(p);
  for (const auto& p : problems) fmt::print(stderr, "{}: {}\n", argv[1], p);
  if (problems.empty())
    fmt::print("{}: {} events, compliant (training 4.0.0 unet3d rules)\n", argv[1], lines.size());
  return problems.empty() ? 0 : 1;
}
