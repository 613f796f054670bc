// The one way the trainer sets the learning rate: a schedule object the recipe supplies,
// asked before every optimizer step. No torch here.
#pragma once

#include <cstdint>
#include <vector>

namespace segbench {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;

  /// The rate for the optimizer step with 0-based global index `optimizer_step`, taken during
  /// the 1-based `epoch`. Per-epoch schedules ignore the step, per-step ones the epoch.
  virtual double lr(int64_t epoch, int64_t optimizer_step) const = 0;

  /// Feeds one evaluation's quality and loss, for schedules that react to them (reduce on
  /// plateau). The default ignores them.
  virtual void observe(double quality, double loss) {
    (void)quality;
    (void)loss;
  }

  /// What observe() has learnt, for a checkpoint; restore() takes it back on resume. Empty for
  /// schedules that are a function of (epoch, step) alone.
  virtual std::vector<double> state() const { return {}; }
  virtual void restore(const std::vector<double>& state) { (void)state; }
};

/// The same rate throughout.
class ConstantLearningRate final : public LearningRateSchedule {
 public:
  explicit ConstantLearningRate(double lr) : lr_(lr) {}
  double lr(int64_t, int64_t) const override { return lr_; }

 private:
  double lr_;
};

}  // namespace segbench
