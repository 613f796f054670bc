// Per-optimiser-step learning rate of DeepCAM (fidelity §2.4): multistep or cosine annealing, each
// with an optional linear warm-up, as the reference computes it or corrected. No torch here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "segbench/train/learning_rate_schedule.hpp"

namespace segbench {

enum class StepLrKind {
  constant,          ///< no --lr_schedule: base_lr throughout
  multistep,         ///< type=multistep,milestones="a b",decay_rate=x
  cosine_annealing,  ///< type=cosine_annealing,t_max=n,eta_min=x
};

struct StepLrScheduleOptions {
  double base_lr = 1e-3;  ///< --start_lr
  StepLrKind kind = StepLrKind::constant;
  std::vector<int64_t> milestones{};  ///< multistep, in scheduler steps (duplicates decay twice)
  double decay_rate = 0.1;            ///< multistep gamma
  int64_t t_max = 1;                  ///< cosine half-period, in scheduler steps
  double eta_min = 0.0;               ///< cosine floor
  int64_t warmup_steps = 0;           ///< --lr_warmup_steps (0: torch's plain scheduler)
  double warmup_factor = 1.0;         ///< --lr_warmup_factor
  /// false: the reference's MultiStepLRWarmup / CosineAnnealingLRWarmup with their off-by-ones.
  /// true: the warm-up reaches its peak (base_lr * warmup_factor) at step W and holds it,
  /// milestones count from W (decay at milestone + W), cosine anneals from the peak.
  /// Without warm-up both variants are torch's MultiStepLR / CosineAnnealingLR.
  bool corrected = false;
};

/// lr_at(t) is the learning rate a PyTorch scheduler holds after t calls of step() from a fresh
/// start (last_epoch = t), in closed form (equal to the chainable form to ~1e-15 relative).
///
/// Reference (fidelity §2.4, schedulers.py), warm-up W > 0, slope s = 1/W:
///   t < W: base * t * s            (factor 1)    or base * ((factor - 1) * t * s + 1)
///   multistep, t >= W: lr(W - 1) times decay_rate for every milestone m with m + W + 1 <= t
///     (so the warm-up never reaches base: lr(W - 1) = base * (W - 1) / W is held)
///   cosine, t >= W, e = t - W: eta + (lr(W - 1) - eta) * (1 + cos(pi e / T)) / 2 for e <= T,
///     then eta + (base - eta) * (1 + cos(pi e / T)) / 2 (the chainable form's restart term
///     uses base, not the warm-up's last value): period 2 T, rising again after T.
class StepLrSchedule final : public LearningRateSchedule {
 public:
  explicit StepLrSchedule(StepLrScheduleOptions options);
  double lr(int64_t, int64_t optimizer_step) const override {
    return lr_for_optimizer_step(optimizer_step);
  }

  /// Learning rate after `scheduler_steps` scheduler steps (>= 0).
  double lr_at(int64_t scheduler_steps) const;

  /// Learning rate the reference trains its 0-based optimiser step `optimizer_step` with.
  /// train.py builds the schedulers with last_epoch = start_step (0 on a fresh run), and
  /// PyTorch's constructor steps once more, so multistep (with or without warm-up) and cosine
  /// with warm-up run one step ahead: lr_at(step + 1). Plain CosineAnnealingLR gets no
  /// last_epoch: lr_at(step). The corrected variant uses lr_at(step) throughout.
  double lr_for_optimizer_step(int64_t optimizer_step) const;

  const StepLrScheduleOptions& options() const { return options_; }

 private:
  double warmup_lr(int64_t t) const;
  double multistep_lr(int64_t t) const;
  double cosine_lr(int64_t t) const;

  StepLrScheduleOptions options_;
};

/// "constant", "multistep", "cosine_annealing" (the reference's --lr_schedule type names).
std::string to_string(StepLrKind kind);
/// Inverse of to_string; "none" also gives constant. Throws ConfigError otherwise.
StepLrKind step_lr_kind_from_string(const std::string& name);

}  // namespace segbench
