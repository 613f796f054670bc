// Ranks in groups: which group sizes split a world, and how a rank names itself in error
// messages, in the whole job or in a group of ranks. No torch.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "segbench/error.hpp"

namespace segbench {

/// "rank r/w" for the whole job; "rank R (r/w of the group of ranks a-b)" for a subgroup whose
/// rank 0 is job rank `first_rank`.
inline std::string rank_label(int rank, int size, int first_rank, int job_world) {
  if (first_rank == 0 && size == job_world) return fmt::format("rank {}/{}", rank, size);
  return fmt::format("rank {} ({}/{} of the group of ranks {}-{})", first_rank + rank, rank, size,
                     first_rank, first_rank + size - 1);
}

/// Throws ConfigError, prefixed with `who`, unless `group_size` >= 1 divides `world`.
inline void check_group_size(std::string_view who, int world, int group_size) {
  SEGBENCH_CHECK(group_size >= 1 && world % group_size == 0, ConfigError,
                 "{}: a group size must divide the world size {}, found {}", who, world,
                 group_size);
}

}  // namespace segbench
