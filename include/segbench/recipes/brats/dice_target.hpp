// The BraTS quality target: the mean of the three class Dice scores (MeanDiceTarget) with an
// optional stop value. The reference has none (it stops by early stopping on the Dice sum,
// fidelity §3.8); the time-to-target preset stops at one (a segbench extension). Tensor tier.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "segbench/concepts/distributed.hpp"
#include "segbench/concepts/quality_target.hpp"
#include "segbench/metrics/brats_dice.hpp"
#include "segbench/metrics/dice.hpp"

namespace segbench {

class BratsDiceTarget {
 public:
  /// `stop_at`: the mean Dice that ends the run; nullopt: never reached (reported as inf).
  explicit BratsDiceTarget(std::optional<double> stop_at)
      : dice_(brats_mean_dice_target(stop_at.value_or(1.0))), stop_at_(stop_at) {}

  void update(const std::vector<double>& case_scores) { dice_.update(case_scores); }
  template <DistributedContext C>
  double aggregate(C& ctx) {
    return dice_.aggregate(ctx);
  }
  void reset() { dice_.reset(); }
  bool reached(double value) const { return stop_at_.has_value() && dice_.reached(value); }
  double target() const { return stop_at_.value_or(std::numeric_limits<double>::infinity()); }
  std::string name() const { return dice_.name(); }
  /// L1..L3 of the last aggregate().
  const std::vector<double>& class_means() const { return dice_.class_means(); }
  const std::vector<double>& class_scores() const { return dice_.class_scores(); }

 private:
  MeanDiceTarget dice_;
  std::optional<double> stop_at_;
};

static_assert(QualityTarget<BratsDiceTarget>);

}  // namespace segbench
