// Per-epoch learning rate of the MLCommons 3D U-Net (fidelity §1.5). No torch here.
#pragma once

#include <cstdint>
#include <vector>

#include "segbench/train/learning_rate_schedule.hpp"

namespace segbench {

struct EpochLrScheduleOptions {
  double base_lr = 1.0;                 ///< --learning_rate
  double init_lr = 1e-4;                ///< --init_learning_rate (warm-up start)
  int64_t warmup_epochs = 0;            ///< --lr_warmup_epochs
  std::vector<int64_t> decay_epochs{};  ///< --lr_decay_epochs (MultiStepLR milestones)
  double decay_factor = 1.0;            ///< --lr_decay_factor
};

/// Learning rate in force during (1-based) epoch `epoch`: linear warm-up
/// init + (base − init)·e/W for e ≤ W, then base; multiplied by decay_factor once per
/// milestone m with m < epoch (MultiStepLR is stepped at the end of every epoch).
class EpochLrSchedule final : public LearningRateSchedule {
 public:
  explicit EpochLrSchedule(EpochLrScheduleOptions options);
  double lr_for_epoch(int64_t epoch) const;
  double lr(int64_t epoch, int64_t) const override { return lr_for_epoch(epoch); }
  const EpochLrScheduleOptions& options() const { return options_; }

 private:
  EpochLrScheduleOptions options_;
};

}  // namespace segbench
