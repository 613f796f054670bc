// segbench-data subcommands for brats.
#include "data_command.hpp"

namespace segbench::tools {

void add_brats_commands(CLI::App& /*app*/, DataCommands& /*commands*/) {}

}  // namespace segbench::tools
