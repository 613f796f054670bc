#include "segbench/train/epoch_lr_policy.hpp"

#include <cmath>
#include <numbers>

#include "segbench/error.hpp"

namespace segbench {

EpochLrPolicy::EpochLrPolicy(EpochLrPolicyOptions options)
    : options_(std::move(options)), plateau_lr_(options_.base_lr) {
  const std::string& t = options_.type;
  SEGBENCH_CHECK(t == "none" || t == "multistep" || t == "cosine" || t == "plateau", ConfigError,
                 "learning-rate policy must be none, multistep, cosine or plateau, got '{}'", t);
  SEGBENCH_CHECK(options_.max_epochs >= 1, ConfigError, "cosine period must be >= 1 epoch");
}

double EpochLrPolicy::lr_for_epoch(int64_t epoch) const {
  const int64_t steps_done = epoch - 1;
  if (options_.type == "multistep") {
    double lr = options_.base_lr;
    for (int64_t m : options_.milestones) {
      if (m <= steps_done) lr *= options_.factor;
    }
    return lr;
  }
  if (options_.type == "cosine") {
    return options_.base_lr *
           (1.0 + std::cos(std::numbers::pi * static_cast<double>(steps_done) /
                           static_cast<double>(options_.max_epochs))) /
           2.0;
  }
  if (options_.type == "plateau") return plateau_lr_;
  return options_.base_lr;
}

void EpochLrPolicy::observe(double /*quality*/, double loss) {
  if (options_.type != "plateau") return;
  constexpr double kThreshold = 1e-4;  // ReduceLROnPlateau's default, threshold_mode "rel"
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

std::vector<double> EpochLrPolicy::state() const {
  if (options_.type != "plateau") return {};
  return {plateau_lr_, best_loss_, has_best_ ? 1.0 : 0.0, static_cast<double>(bad_evaluations_)};
}

void EpochLrPolicy::restore(const std::vector<double>& state) {
  if (options_.type != "plateau") return;
  SEGBENCH_CHECK(state.size() == 4, ConfigError,
                 "the checkpoint's learning-rate state has {} values, a plateau schedule 4 (was it "
                 "written with another --scheduler?)",
                 state.size());
  plateau_lr_ = state[0];
  best_loss_ = state[1];
  has_best_ = state[2] != 0.0;
  bad_evaluations_ = static_cast<int64_t>(state[3]);
}

}  // namespace segbench
