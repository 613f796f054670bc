// Where it ran: the rank/node/accelerator layout, logged the same way by the three
// benchmarks (number_of_nodes and accelerators_per_node come from the launcher). No torch.
#pragma once

#include "segbench/log/mllog.hpp"

namespace segbench {

struct RunShape {
  int world_size = 1;
  int number_of_nodes = 1;
  int accelerators_per_node = 0;  ///< 0 on CPU-only systems (fidelity §6)
};

/// number_of_ranks, number_of_nodes, accelerators_per_node (in this order).
void log_run_shape(mllog::Logger& log, const RunShape& shape);

}  // namespace segbench
