// The least a DistributedContext provides, declared only: concepts that take a context (e.g.
// QualityTarget::aggregate) are checked against it instead of a concrete context.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "segbench/concepts/distributed.hpp"

namespace segbench::detail {

struct ContextArchetype {
  int rank() const;
  int world_size() const;
  int local_rank() const;
  std::string backend_name() const;
  void allreduce_sum(at::Tensor& tensor);
  double allreduce_sum(double value);
  void broadcast(at::Tensor& tensor, int root);
  void barrier();
};

static_assert(DistributedContext<ContextArchetype>);

}  // namespace segbench::detail
