// segbench-data subcommands for cam5.
#include "data_command.hpp"

namespace segbench::tools {

void add_cam5_commands(CLI::App& /*app*/, DataCommands& /*commands*/) {}

}  // namespace segbench::tools
