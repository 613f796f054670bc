// The start-up collective every multi-rank context runs before training: an allreduce of
// ones whose result must equal the world size on every rank.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/ops/ones.h>

#include "segbench/concepts/distributed.hpp"
#include "segbench/error.hpp"

namespace segbench {

template <DistributedContext C>
void run_preflight(C& ctx) {
  at::Tensor ones = at::ones({4}, at::kFloat);
  ctx.allreduce_sum(ones);
  const float* sums = ones.data_ptr<float>();
  for (int i = 0; i < 4; ++i) {
    SEGBENCH_CHECK(sums[i] == static_cast<float>(ctx.world_size()), DistributedError,
                   "rank {}/{}: preflight allreduce of ones: expected {} in every element, "
                   "found {} at element {}",
                   ctx.rank(), ctx.world_size(), ctx.world_size(), sums[i], i);
  }
}

}  // namespace segbench
