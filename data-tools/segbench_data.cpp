// segbench-data: data tools for the three benchmarks. Each benchmark's subcommands live in
// their own file (kits19_commands.cpp, cam5_commands.cpp, brats_commands.cpp); run
// `segbench-data --help` for the list.
// Exit codes: 0 success, 1 a check found problems, 2 error.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <exception>

#include "data_command.hpp"

int main(int argc, char** argv) {
  using namespace segbench::tools;
  CLI::App app{"segbench-data: synthetic data, preprocessing, statistics and checks"};
  app.require_subcommand(1);
  DataCommands commands;
  add_kits19_commands(app, commands);
  add_cam5_commands(app, commands);
  add_brats_commands(app, commands);
  add_checkpoint_commands(app, commands);

  const auto report_error = [](const std::string& message) {
    fmt::print(stderr, "segbench-data: error: {}\n", message);
    return 2;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(e.what());
  }
  try {
    for (const DataCommand& command : commands) {
      if (command.parser->parsed()) return command.run();
    }
  } catch (const std::exception& e) {
    return report_error(e.what());
  }
  return report_error("no subcommand given");
}
