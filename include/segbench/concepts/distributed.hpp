// The DistributedContext concept: what training needs from a process group.
#pragma once

#include <ATen/core/Tensor.h>

#include <concepts>
#include <string>

namespace segbench {

/// Collectives are SUM-allreduce (in place), broadcast from a root, barrier.
/// Every failure must throw DistributedError naming the rank(s) involved.
template <class C>
concept DistributedContext = requires(C& c, const C& cc, at::Tensor& t, double v, int root) {
  { cc.rank() } -> std::convertible_to<int>;
  { cc.world_size() } -> std::convertible_to<int>;
  { cc.local_rank() } -> std::convertible_to<int>;
  { cc.backend_name() } -> std::convertible_to<std::string>;
  c.allreduce_sum(t);
  { c.allreduce_sum(v) } -> std::convertible_to<double>;
  c.broadcast(t, root);
  c.barrier();
};

}  // namespace segbench
