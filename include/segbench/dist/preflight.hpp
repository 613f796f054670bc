// The start-up collectives every multi-rank context runs before training: an allreduce of
// ones whose result must equal the world size on every rank, and the configuration-hash check.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <string>

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

/// Every rank writes its configuration hash into its own slot of an allreduced vector; throws
/// DistributedError on every rank, listing the (job) ranks whose hash differs from rank 0's.
template <DistributedContext C>
void check_same_config_hash(C& ctx, std::uint64_t config_hash, int first_rank,
                            const std::string& who) {
  const int world = ctx.world_size();
  at::Tensor slots = at::zeros({world}, at::kLong);
  std::int64_t as_signed = 0;
  std::memcpy(&as_signed, &config_hash, sizeof as_signed);
  slots.data_ptr<std::int64_t>()[ctx.rank()] = as_signed;
  ctx.allreduce_sum(slots);
  const std::int64_t* found = slots.data_ptr<std::int64_t>();
  std::string mismatches;
  for (int r = 1; r < world; ++r) {
    if (found[r] != found[0]) {
      mismatches += fmt::format("{}rank {} has {:#018x}", mismatches.empty() ? "" : ", ",
                                first_rank + r, static_cast<std::uint64_t>(found[r]));
    }
  }
  SEGBENCH_CHECK(mismatches.empty(), DistributedError,
                 "{}: ranks disagree on the configuration: expected hash {:#018x} (rank 0), "
                 "found {}",
                 who, static_cast<std::uint64_t>(found[0]), mismatches);
}

}  // namespace segbench
