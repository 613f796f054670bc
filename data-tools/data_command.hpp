// One subcommand of segbench-data: its CLI11 parser and the work it runs once parsed.
// Each benchmark registers its commands from its own file (kits19, cam5, brats).
#pragma once

#include <CLI/CLI.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace segbench::tools {

struct DataCommand {
  CLI::App* parser = nullptr;
  /// Runs the command; returns the exit code (0 success, 1 a check found problems).
  /// Errors are thrown (segbench::Error) and reported by main with exit code 2.
  std::function<int()> run;
};

using DataCommands = std::vector<DataCommand>;

/// --jobs N: files worked on at a time (default 0: every core); outputs do not depend on it.
inline void add_jobs_option(CLI::App* cmd, int& jobs) {
  cmd->add_option("--jobs,-j", jobs,
                  "Files worked on at a time (0: every core); the outputs are the same bits "
                  "whatever the count")
      ->capture_default_str();
}

void add_kits19_commands(CLI::App& app, DataCommands& commands);
void add_cam5_commands(CLI::App& app, DataCommands& commands);
void add_brats_commands(CLI::App& app, DataCommands& commands);
void add_checkpoint_commands(CLI::App& app, DataCommands& commands);

/// Prints every problem ("segbench-data: <problem>") and a closing line; returns the exit code
/// (0 when there is none, 1 otherwise).
inline int report_problems(const std::vector<std::string>& problems, const std::string& what) {
  for (const auto& problem : problems) fmt::print(stderr, "segbench-data: {}\n", problem);
  if (!problems.empty()) {
    fmt::print(stderr, "segbench-data: verification failed: {} problem(s) in {}\n", problems.size(),
               what);
    return 1;
  }
  fmt::print("verification passed: {}\n", what);
  return 0;
}

}  // namespace segbench::tools
