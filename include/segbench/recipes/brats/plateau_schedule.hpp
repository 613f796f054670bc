// nnU-Net's learning-rate schedules, per epoch (fidelity §3.7): none, multistep, cosine, and
// plateau as the reference builds it: torch ReduceLROnPlateau(factor, patience=lr_patience)
// with its defaults (mode min, relative threshold 1e-4, no cooldown, min_lr 0) watching the
// validation loss ("monitor": "val_loss" in models/nn_unet.py). No torch here.
#pragma once

#include <cstdint>
#include <memory>

#include "segbench/train/epoch_lr_policy.hpp"
#include "segbench/train/learning_rate_schedule.hpp"

namespace segbench {

class BratsLrSchedule final : public LearningRateSchedule {
 public:
  explicit BratsLrSchedule(EpochLrPolicyOptions options);
  double lr(int64_t epoch, int64_t optimizer_step) const override;
  /// Plateau: the validation loss of an evaluation (the quality is not what the reference
  /// watches). More than `patience` evaluations without a loss below best·(1 − 1e-4) multiply
  /// the rate by `factor`.
  void observe(double quality, double loss) override;

 private:
  EpochLrPolicyOptions options_;
  EpochLrPolicy fixed_;  // none, multistep, cosine
  double plateau_lr_;
  double best_loss_ = 0.0;
  bool has_best_ = false;
  int64_t bad_evaluations_ = 0;
};

}  // namespace segbench
