// One validation pass for every benchmark: each rank scores its contiguous shard of the cases,
// the quality target aggregates the per-case scores over all ranks so that every case weighs
// the same whatever the world size, and the evaluation loss is averaged over all cases.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "segbench/concepts/dataset.hpp"
#include "segbench/concepts/distributed.hpp"
#include "segbench/concepts/quality_target.hpp"
#include "segbench/train/trainer.hpp"

namespace segbench {

/// [begin, end) of rank's share in np.array_split order (sizes differ by at most 1).
inline std::pair<std::size_t, std::size_t> contiguous_shard(std::size_t n, int rank, int world) {
  const auto w = static_cast<std::size_t>(world), r = static_cast<std::size_t>(rank);
  const std::size_t base = n / w, extra = n % w;
  const std::size_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

/// One validation case's scores (what QualityTarget::update takes) and its loss.
struct CaseScore {
  std::vector<double> scores;
  double loss = 0.0;
};

/// Scores this rank's shard of `cases` with `score_case(sample)` (a callable returning
/// CaseScore), feeds the scores to `target` and aggregates over the ranks of `ctx`. Collective:
/// every rank calls it. The caller sets eval mode and disables gradients (the trainer does).
template <Dataset D, QualityTarget Q, DistributedContext C, class ScoreFn>
EvalResult evaluate_sharded(const D& cases, Q& target, C& ctx, ScoreFn&& score_case) {
  target.reset();
  const auto [begin, end] = contiguous_shard(cases.size(), ctx.rank(), ctx.world_size());
  double loss_sum = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    const CaseScore score = score_case(cases.get(i));
    target.update(score.scores);
    loss_sum += score.loss;
  }
  EvalResult result;
  result.quality = target.aggregate(ctx);
  if constexpr (requires { target.class_scores(); }) result.class_scores = target.class_scores();
  const double cases_total = ctx.allreduce_sum(static_cast<double>(end - begin));
  result.loss = ctx.allreduce_sum(loss_sum) / std::max(1.0, cases_total);
  result.cases = static_cast<int64_t>(cases_total);
  return result;
}

}  // namespace segbench
