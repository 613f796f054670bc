// The nnU-Net learning-rate options, per epoch (fidelity §3.7): constant, multistep (torch
// MultiStepLR stepped once per epoch), cosine over max_epochs (CosineAnnealingLR, eta_min 0)
// and plateau as nnU-Net builds it: torch ReduceLROnPlateau(factor, patience) with its defaults
// (mode min, relative threshold 1e-4, no cooldown, min_lr 0) on the validation loss
// ("monitor": "val_loss" in models/nn_unet.py). No torch here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "segbench/train/learning_rate_schedule.hpp"

namespace segbench {

struct EpochLrPolicyOptions {
  std::string type = "none";  ///< none | multistep | cosine | plateau
  double base_lr = 1e-3;
  std::vector<int64_t> milestones{};  ///< multistep, in epochs
  double factor = 0.3;                ///< multistep and plateau
  int64_t max_epochs = 1;             ///< cosine period
  int64_t patience = 70;              ///< plateau: evaluations without improvement tolerated
};

class EpochLrPolicy final : public LearningRateSchedule {
 public:
  explicit EpochLrPolicy(EpochLrPolicyOptions options);
  /// Rate in force during 1-based epoch `epoch` (after epoch − 1 scheduler steps).
  double lr_for_epoch(int64_t epoch) const;
  double lr(int64_t epoch, int64_t) const override { return lr_for_epoch(epoch); }
  /// Plateau only: the validation loss of an evaluation (the quality is not what the reference
  /// watches). More than `patience` evaluations without a loss below best·(1 − 1e-4) multiply
  /// the rate by `factor`.
  void observe(double quality, double loss) override;
  /// The plateau's rate, best loss and count of evaluations without improvement.
  std::vector<double> state() const override;
  void restore(const std::vector<double>& state) override;

 private:
  EpochLrPolicyOptions options_;
  double plateau_lr_;
  double best_loss_ = 0.0;
  bool has_best_ = false;
  int64_t bad_evaluations_ = 0;
};

}  // namespace segbench
