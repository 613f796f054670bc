// How a rank names itself in error messages, in the whole job or in a group of ranks. No torch.
#pragma once

#include <fmt/format.h>

#include <string>

namespace segbench {

/// "rank r/w" for the whole job; "rank R (r/w of the group of ranks a-b)" for a subgroup whose
/// rank 0 is job rank `first_rank`.
inline std::string rank_label(int rank, int size, int first_rank, int job_world) {
  if (first_rank == 0 && size == job_world) return fmt::format("rank {}/{}", rank, size);
  return fmt::format("rank {} ({}/{} of the group of ranks {}-{})", first_rank + rank, rank, size,
                     first_rank, first_rank + size - 1);
}

}  // namespace segbench
