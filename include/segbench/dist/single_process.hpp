// A world of one: every collective is the identity. The multi-rank contexts (c10d, MPI)
// implement the same interface (see concepts/distributed.hpp).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace segbench {

class SingleProcessContext {
 public:
  int rank() const { return 0; }
  int world_size() const { return 1; }
  int local_rank() const { return 0; }
  std::string backend_name() const { return "none"; }
  void allreduce_sum(at::Tensor&) {}
  double allreduce_sum(double value) { return value; }
  void broadcast(at::Tensor&, int /*root*/) {}
  void barrier() {}
};

}  // namespace segbench
