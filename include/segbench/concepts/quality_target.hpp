// The QualityTarget concept: a per-case metric aggregated across ranks with a stop rule.
#pragma once

#include <concepts>
#include <string>
#include <vector>

#include "segbench/dist/single_process.hpp"

namespace segbench {

/// update() buffers one case's per-class scores; aggregate() sums over all ranks so that
/// every case weighs the same whatever the world size; reached() is the stop rule.
template <class Q>
concept QualityTarget = requires(Q& q, const Q& cq, const std::vector<double>& case_scores,
                                 SingleProcessContext& ctx, double value) {
  q.update(case_scores);
  { q.aggregate(ctx) } -> std::convertible_to<double>;
  q.reset();
  { cq.reached(value) } -> std::convertible_to<bool>;
  { cq.target() } -> std::convertible_to<double>;
  { cq.name() } -> std::convertible_to<std::string>;
};

}  // namespace segbench
