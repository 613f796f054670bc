#include "segbench/recipes/brats/plateau_schedule.hpp"

#include <utility>

namespace segbench {

BratsLrSchedule::BratsLrSchedule(EpochLrPolicyOptions options)
    : options_(options), fixed_(std::move(options)), plateau_lr_(options_.base_lr) {}

double BratsLrSchedule::lr(int64_t epoch, int64_t optimizer_step) const {
  return options_.type == "plateau" ? plateau_lr_ : fixed_.lr(epoch, optimizer_step);
}

void BratsLrSchedule::observe(double /*quality*/, double loss) {
  if (options_.type != "plateau") return;
  constexpr double kThreshold = 1e-4;  // ReduceLROnPlateau default, threshold_mode "rel"
  if (!has_best_ || loss < best_loss_ * (1.0 - kThreshold)) {
    best_loss_ = loss;
    has_best_ = true;
    bad_evaluations_ = 0;
    return;
  }
  if (++bad_evaluations_ > options_.patience) {
    plateau_lr_ *= options_.factor;
    bad_evaluations_ = 0;
  }
}

}  // namespace segbench
