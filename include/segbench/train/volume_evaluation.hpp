// Validation of whole volumes: this rank's contiguous shard of the cases, sliding-window
// inference, per-case Dice into the quality target, aggregated so every case weighs the same.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <functional>
#include <utility>

#include "segbench/concepts/dataset.hpp"
#include "segbench/concepts/distributed.hpp"
#include "segbench/inference/sliding_window.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/train/trainer.hpp"

namespace segbench {

/// [begin, end) of rank's share in np.array_split order (sizes differ by at most 1).
inline std::pair<std::size_t, std::size_t> contiguous_shard(std::size_t n, int rank, int world) {
  const std::size_t w = static_cast<std::size_t>(world), r = static_cast<std::size_t>(rank);
  const std::size_t base = n / w, extra = n % w;
  const std::size_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

template <Dataset D, DistributedContext C>
EvalResult evaluate_volumes(const std::function<at::Tensor(const at::Tensor&)>& predict,
                            const D& cases, MeanDiceTarget& target, C& ctx,
                            const SlidingWindowOptions& window) {
  target.reset();
  const auto [begin, end] = contiguous_shard(cases.size(), ctx.rank(), ctx.world_size());
  double loss_sum = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    const Sample sample = cases.get(i);
    const SlidingWindowResult r = sliding_window_inference(predict, sample.image.unsqueeze(0),
                                                           sample.label.unsqueeze(0), window);
    target.update(dice_score(r.logits_NCDHW, r.label_N1DHW));
    loss_sum += dice_ce_loss(r.logits_NCDHW, r.label_N1DHW).template item<double>();
  }
  EvalResult result;
  result.quality = target.aggregate(ctx);
  result.class_scores = target.class_means();
  const double cases_total = ctx.allreduce_sum(static_cast<double>(end - begin));
  result.loss = ctx.allreduce_sum(loss_sum) / std::max(1.0, cases_total);
  result.cases = static_cast<int64_t>(cases_total);
  return result;
}

}  // namespace segbench
