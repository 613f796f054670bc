// One subcommand of segbench-data: its CLI11 parser and the work it runs once parsed.
// Each benchmark registers its commands from its own file (kits19, cam5, brats).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace segbench::tools {

struct DataCommand {
  CLI::App* parser = nullptr;
  /// Runs the command; returns the exit code (0 success, 1 a check found problems).
  /// Errors are thrown (segbench::Error) and reported by main with exit code 2.
  std::function<int()> run;
};

using DataCommands = std::vector<DataCommand>;

void add_kits19_commands(CLI::App& app, DataCommands& commands);
void add_cam5_commands(CLI::App& app, DataCommands& commands);
void add_brats_commands(CLI::App& app, DataCommands& commands);
void add_checkpoint_commands(CLI::App& app, DataCommands& commands);

}  // namespace segbench::tools
