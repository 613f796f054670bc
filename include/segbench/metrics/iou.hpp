// DeepCAM's IoU metric (fidelity §2.3) and the mean-IoU quality target. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "segbench/concepts/distributed.hpp"
#include "segbench/concepts/quality_target.hpp"

namespace segbench {

/// Per sample and class, the [TP, FP, FN] pixel counts of the argmax prediction against the
/// label: int64 (N, C, 3). logits: floating (N, C, H, W); label: uint8/int64 (N, H, W) or
/// (N, 1, H, W) with values in [0, C). The prediction is argmax(softmax(logits)), as the
/// reference computes it.
at::Tensor iou_confusion_counts(const at::Tensor& logits_NCHW, const at::Tensor& label);

/// The reference's per-sample score (compute_score): mean over classes of TP / (TP + FP + FN),
/// where a class absent from both prediction and label scores 1. Classes 0..C-1 with
/// include_background (the reference), else 1..C-1. confusion: int64 (N, C, 3).
std::vector<double> sample_iou_scores(const at::Tensor& confusion_NC3,
                                      bool include_background = true);

/// compute_score of the reference: the mean of sample_iou_scores over the batch (the value
/// logged as train_accuracy).
double batch_mean_iou(const at::Tensor& logits_NCHW, const at::Tensor& label);

enum class IouAveraging {
  /// The reference: every sample's mean IoU (absent classes score 1), averaged over samples.
  per_sample,
  /// Corrected: TP, FP and FN summed over the whole evaluation set per class, then the mean
  /// over classes of the set-level IoU; a class absent from the whole set is left out. Samples
  /// without events no longer add a free 1 per absent class.
  dataset,
};

struct MeanIouOptions {
  double target = 0.0;  ///< the IoU at which the run stops (DeepCAM: --target_iou)
  int64_t num_classes = 3;
  IouAveraging averaging = IouAveraging::per_sample;
  bool include_background = true;
};

/// The reference's rule: per-sample mean over all 3 classes.
inline MeanIouOptions reference_mean_iou(double target) {
  return {.target = target};
}
/// The corrected rule: set-level IoU of the two event classes (background excluded; its IoU is
/// ~0.98 whatever the model does).
inline MeanIouOptions corrected_mean_iou(double target) {
  return {.target = target,
          .num_classes = 3,
          .averaging = IouAveraging::dataset,
          .include_background = false};
}

/// Mean IoU over the validation samples of all ranks. Call reset() before each evaluation,
/// update() per batch or per sample, then aggregate().
class MeanIouTarget {
 public:
  explicit MeanIouTarget(MeanIouOptions options);

  /// One sample's values: per_sample: {score} (from sample_iou_scores); dataset: the 3 * C
  /// counts [TP_0, FP_0, FN_0, TP_1, ...] (one row of iou_confusion_counts).
  void update(const std::vector<double>& sample_values);
  /// Every sample of a batch (logits (N, C, H, W), label (N, H, W) or (N, 1, H, W)).
  void update(const at::Tensor& logits_NCHW, const at::Tensor& label);
  /// What update() takes, per sample of a batch.
  std::vector<std::vector<double>> sample_values(const at::Tensor& logits_NCHW,
                                                 const at::Tensor& label) const;

  /// Sums the local totals over all ranks (one allreduce) and returns the mean IoU. Throws
  /// DataError if no rank saw a sample.
  template <DistributedContext C>
  double aggregate(C& ctx) {
    at::Tensor totals = local_totals();
    ctx.allreduce_sum(totals);
    return finish_aggregate(totals, ctx.world_size());
  }

  void reset();
  bool reached(double value) const { return value >= options_.target; }
  double target() const { return options_.target; }
  std::string name() const { return "mean_iou"; }
  const MeanIouOptions& options() const { return options_; }
  /// Samples seen by update() on this rank since reset().
  int64_t local_samples() const { return local_samples_; }
  /// dataset averaging: the set-level IoU per class of the last aggregate() (NaN for a class
  /// absent from the whole set); empty otherwise.
  const std::vector<double>& class_iou() const { return class_iou_; }
  /// The same, under the name the sharded evaluation reads.
  const std::vector<double>& class_scores() const { return class_iou_; }

 private:
  at::Tensor local_totals() const;  // float64 CPU [sums..., sample count]
  double finish_aggregate(const at::Tensor& totals, int world_size);

  MeanIouOptions options_;
  std::vector<double> local_sums_;  // per_sample: {score sum}; dataset: 3 * C counts
  int64_t local_samples_ = 0;
  std::vector<double> class_iou_;
};

static_assert(QualityTarget<MeanIouTarget>);

}  // namespace segbench
