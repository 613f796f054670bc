#include "segbench/log/run_shape.hpp"

#include "segbench/log/mllog_keys.hpp"

namespace segbench {

void log_run_shape(mllog::Logger& log, const RunShape& shape) {
  namespace key = mllog::key;
  log.event(key::kNumberOfRanks, shape.world_size);
  log.event(key::kNumberOfNodes, shape.number_of_nodes);
  log.event(key::kAcceleratorsPerNode, shape.accelerators_per_node);
}

}  // namespace segbench
