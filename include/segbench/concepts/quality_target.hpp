// The QualityTarget concept: a per-case metric aggregated across ranks with a stop rule.
#pragma once

#include <concepts>
#include <string>
#include <vector>

#include "segbench/concepts/context_archetype.hpp"

namespace segbench {

/// update() buffers one case's scores; aggregate() sums over all ranks so that every case
/// weighs the same whatever the world size; reached() is the stop rule the trainer obeys.
template <class Q>
concept QualityTarget = requires(Q& q, const Q& cq, const std::vector<double>& case_scores,
                                 detail::ContextArchetype& ctx, double value) {
  q.update(case_scores);
  { q.aggregate(ctx) } -> std::convertible_to<double>;
  q.reset();
  { cq.reached(value) } -> std::convertible_to<bool>;
  { cq.target() } -> std::convertible_to<double>;
  { cq.name() } -> std::convertible_to<std::string>;
};

}  // namespace segbench
