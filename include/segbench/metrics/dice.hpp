// The Dice metric and the mean-Dice quality target (3D U-Net and BraTS) (fidelity §1.4, §1.7).
// Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "segbench/concepts/distributed.hpp"
#include "segbench/concepts/quality_target.hpp"

namespace segbench {

/// Hard Dice per class: argmax of the logits -> one-hot, Dice against the one-hot label (sums
/// over D, H, W with 1e-6 smoothing), mean over the batch. Returns {kidney, tumour} for the
/// reference's 3 classes (class 0 is included only with include_background). A class absent from
/// both label and prediction scores 1.
/// logits: float (N, C, D, H, W); label: uint8 or int64 (N, 1, D, H, W).
std::vector<double> dice_score(const at::Tensor& logits_NCDHW, const at::Tensor& label_N1DHW,
                               bool include_background = false);

/// Mean Dice over the validation cases of all ranks; every case weighs 1/N_total whatever the
/// sharding. Call reset() before each evaluation, update() once per case, then aggregate().
class MeanDiceTarget {
 public:
  /// `target`: the mean Dice at which the run stops; `num_classes`: scored classes per case.
  explicit MeanDiceTarget(double target, int num_classes = 2);

  /// One validation case's per-class Dice (num_classes values, e.g. from dice_score).
  void update(const std::vector<double>& case_scores);

  /// Sums [per-class sums..., case count] over all ranks; returns the mean over classes of the
  /// per-class means (also kept in class_means()). Throws DataError if no rank scored a case.
  template <DistributedContext C>
  double aggregate(C& ctx) {
    at::Tensor totals = local_totals();
    ctx.allreduce_sum(totals);
    return finish_aggregate(totals, ctx.world_size());
  }

  void reset();
  bool reached(double value) const { return value >= target_; }
  double target() const { return target_; }
  std::string name() const { return "mean_dice"; }
  int num_classes() const { return num_classes_; }
  /// Cases seen by update() on this rank since reset().
  int64_t local_cases() const { return local_cases_; }
  /// Per-class means of the last aggregate() ({kidney, tumour}); empty before it.
  const std::vector<double>& class_means() const { return class_means_; }
  /// The same, under the name the sharded evaluation reads.
  const std::vector<double>& class_scores() const { return class_means_; }

 private:
  at::Tensor local_totals() const;  // float64 CPU [sum_class_0, ..., count]
  double finish_aggregate(const at::Tensor& totals, int world_size);

  double target_;
  int num_classes_;
  std::vector<double> local_sums_;
  int64_t local_cases_ = 0;
  std::vector<double> class_means_;
};

static_assert(QualityTarget<MeanDiceTarget>);

}  // namespace segbench
