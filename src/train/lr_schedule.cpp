#include "segbench/train/lr_schedule.hpp"

#include "segbench/error.hpp"

namespace segbench {

EpochLrSchedule::EpochLrSchedule(EpochLrScheduleOptions options) : options_(std::move(options)) {
  SEGBENCH_CHECK(options_.base_lr > 0, ConfigError, "learning rate must be > 0, got {}",
                 options_.base_lr);
  SEGBENCH_CHECK(options_.warmup_epochs >= 0, ConfigError, "lr_warmup_epochs must be >= 0, got {}",
                 options_.warmup_epochs);
  SEGBENCH_CHECK(options_.decay_factor > 0, ConfigError, "lr_decay_factor must be > 0, got {}",
                 options_.decay_factor);
}

double EpochLrSchedule::lr_for_epoch(int64_t epoch) const {
  SEGBENCH_CHECK(epoch >= 1, ConfigError, "epochs are 1-based, got {}", epoch);
  const auto& o = options_;
  double lr = o.base_lr;
  if (o.warmup_epochs > 0 && epoch <= o.warmup_epochs) {
    lr = o.init_lr + (o.base_lr - o.init_lr) * static_cast<double>(epoch) /
                         static_cast<double>(o.warmup_epochs);
  }
  for (int64_t milestone : o.decay_epochs) {
    if (milestone < epoch) lr *= o.decay_factor;
  }
  return lr;
}

}  // namespace segbench
