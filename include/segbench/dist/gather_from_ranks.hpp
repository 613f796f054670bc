// Every rank's few integers, on every rank: how the start-up checks compare what each rank was
// started with (configuration, seed, the checkpoint it resumes from) and name the ranks that
// differ. Built on the sum-allreduce every context has. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/ops/zeros.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "segbench/concepts/distributed.hpp"
#include "segbench/error.hpp"

namespace segbench {

/// A value of `text` (a configuration, a run state) to gather and compare over the ranks: its
/// std::hash, as the int64 the collectives carry.
inline std::int64_t fingerprint_for_ranks(const std::string& text) {
  const std::uint64_t hash = std::hash<std::string>{}(text);
  std::int64_t as_signed = 0;
  std::memcpy(&as_signed, &hash, sizeof as_signed);
  return as_signed;
}

/// Row r of the result is rank r's `values`. A collective: every rank calls it. The counts are
/// compared first (an allreduce of one slot per rank), so a rank with another count is a
/// DistributedError naming it on every rank, never a mismatched collective.
template <DistributedContext C>
std::vector<std::vector<std::int64_t>> gather_from_ranks(C& ctx,
                                                         const std::vector<std::int64_t>& values) {
  const int world = ctx.world_size();
  const int rank = ctx.rank();
  at::Tensor counts = at::zeros({world}, at::kLong);
  counts.data_ptr<std::int64_t>()[rank] = static_cast<std::int64_t>(values.size());
  ctx.allreduce_sum(counts);
  const std::int64_t* count = counts.data_ptr<std::int64_t>();
  for (int r = 0; r < world; ++r) {
    SEGBENCH_CHECK(count[r] == count[0], DistributedError,
                   "rank {}/{}: rank {} compares {} start-up values, rank 0 {}: do all ranks run "
                   "the same program?",
                   rank, world, r, count[r], count[0]);
  }
  const auto n = static_cast<std::int64_t>(values.size());
  at::Tensor slots = at::zeros({world, n}, at::kLong);
  std::int64_t* mine = slots.data_ptr<std::int64_t>() + rank * n;
  for (std::int64_t i = 0; i < n; ++i) mine[i] = values[static_cast<std::size_t>(i)];
  ctx.allreduce_sum(slots);
  std::vector<std::vector<std::int64_t>> rows(static_cast<std::size_t>(world));
  const std::int64_t* all = slots.data_ptr<std::int64_t>();
  for (int r = 0; r < world; ++r)
    rows[static_cast<std::size_t>(r)].assign(all + r * n, all + (r + 1) * n);
  return rows;
}

}  // namespace segbench
