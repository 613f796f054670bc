#include "segbench/metrics/iou.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/argmax.h>
#include <ATen/ops/bincount.h>
#include <ATen/ops/diagonal.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/tensor.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"
#include "segbench/metrics/label_checks.hpp"

namespace segbench {

namespace {

/// TP / (TP + FP + FN), or NaN when the class is absent from both (0/0).
double iou_or_nan(double tp, double fp, double fn) {
  const double union_size = tp + fp + fn;
  return union_size > 0 ? tp / union_size : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

at::Tensor iou_confusion_counts(const at::Tensor& logits_NCHW, const at::Tensor& label) {
  const at::Tensor label_NHW = checked_label_NHW("iou_confusion_counts", logits_NCHW, label);
  const int64_t num_classes = logits_NCHW.size(1);
  const at::Tensor prediction_NHW = at::argmax(at::softmax(logits_NCHW, 1), 1);
  const int64_t n = label_NHW.size(0);
  const int64_t cells = num_classes * num_classes;
  // One bincount gives every sample's confusion matrix M[s, predicted, actual].
  const at::Tensor sample_offset = at::arange(n, label_NHW.options()).view({n, 1, 1}) * cells;
  const at::Tensor index = sample_offset + prediction_NHW * num_classes + label_NHW;
  const at::Tensor matrix =
      at::bincount(index.reshape({-1}), /*weights=*/{}, /*minlength=*/n * cells)
          .view({n, num_classes, num_classes});
  const at::Tensor tp = at::diagonal(matrix, 0, 1, 2);
  const at::Tensor fp = matrix.sum(2) - tp;  // predicted c, actually another class
  const at::Tensor fn = matrix.sum(1) - tp;  // actually c, predicted another class
  return at::stack({tp, fp, fn}, 2).to(at::kLong).cpu();
}

std::vector<double> sample_iou_scores(const at::Tensor& confusion_NC3, bool include_background) {
  SEGBENCH_CHECK(confusion_NC3.dim() == 3 && confusion_NC3.size(2) == 3 &&
                     confusion_NC3.size(1) >= (include_background ? 1 : 2),
                 DataError, "sample_iou_scores: expected confusion counts (N, C, 3), found {}",
                 detail::shape_text(confusion_NC3.sizes()));
  const at::Tensor counts = confusion_NC3.to(at::kDouble).cpu().contiguous();
  const double* values = counts.data_ptr<double>();
  const int64_t n = counts.size(0);
  const int64_t num_classes = counts.size(1);
  const int64_t first = include_background ? 0 : 1;
  std::vector<double> scores;
  scores.reserve(static_cast<std::size_t>(n));
  for (int64_t s = 0; s < n; ++s) {
    double sum = 0.0;
    for (int64_t c = first; c < num_classes; ++c) {
      const double* row = values + (s * num_classes + c) * 3;
      const double iou = iou_or_nan(row[0], row[1], row[2]);
      sum += std::isnan(iou) ? 1.0 : iou;
    }
    scores.push_back(sum / static_cast<double>(num_classes - first));
  }
  return scores;
}

double batch_mean_iou(const at::Tensor& logits_NCHW, const at::Tensor& label) {
  const std::vector<double> scores = sample_iou_scores(iou_confusion_counts(logits_NCHW, label));
  SEGBENCH_CHECK(!scores.empty(), DataError, "batch_mean_iou: the batch has no sample");
  double sum = 0.0;
  for (const double s : scores) sum += s;
  return sum / static_cast<double>(scores.size());
}

MeanIouTarget::MeanIouTarget(MeanIouOptions options) : options_(options) {
  SEGBENCH_CHECK(options_.num_classes >= (options_.include_background ? 1 : 2), ConfigError,
                 "MeanIouTarget: expected at least {} classes, found {}",
                 options_.include_background ? 1 : 2, options_.num_classes);
  SEGBENCH_CHECK(options_.target > 0.0 && options_.target <= 1.0, ConfigError,
                 "MeanIouTarget: expected a target IoU in (0, 1], found {}", options_.target);
  reset();
}

void MeanIouTarget::reset() {
  const std::size_t slots = options_.averaging == IouAveraging::per_sample
                                ? 1
                                : static_cast<std::size_t>(3 * options_.num_classes);
  local_sums_.assign(slots, 0.0);
  local_samples_ = 0;
  class_iou_.clear();
}

void MeanIouTarget::update(const std::vector<double>& sample_values) {
  SEGBENCH_CHECK(sample_values.size() == local_sums_.size(), DataError,
                 "MeanIouTarget: expected {} value(s) per sample ({} averaging), found {}",
                 local_sums_.size(),
                 options_.averaging == IouAveraging::per_sample ? "per-sample" : "dataset",
                 sample_values.size());
  for (std::size_t i = 0; i < sample_values.size(); ++i) {
    SEGBENCH_CHECK(std::isfinite(sample_values[i]) && sample_values[i] >= 0.0, DataError,
                   "MeanIouTarget: sample {} has an invalid value {} at position {}",
                   local_samples_, sample_values[i], i);
    local_sums_[i] += sample_values[i];
  }
  ++local_samples_;
}

void MeanIouTarget::update(const at::Tensor& logits_NCHW, const at::Tensor& label) {
  for (const auto& values : sample_values(logits_NCHW, label)) update(values);
}

std::vector<std::vector<double>> MeanIouTarget::sample_values(const at::Tensor& logits_NCHW,
                                                              const at::Tensor& label) const {
  SEGBENCH_CHECK(logits_NCHW.dim() == 4 && logits_NCHW.size(1) == options_.num_classes, DataError,
                 "MeanIouTarget: expected logits (N, {}, H, W), found {}", options_.num_classes,
                 detail::shape_text(logits_NCHW.sizes()));
  const at::Tensor counts = iou_confusion_counts(logits_NCHW, label);
  std::vector<std::vector<double>> out;
  if (options_.averaging == IouAveraging::per_sample) {
    for (const double score : sample_iou_scores(counts, options_.include_background)) {
      out.push_back({score});
    }
    return out;
  }
  const at::Tensor rows = counts.to(at::kDouble).reshape({counts.size(0), -1}).contiguous();
  const double* values = rows.data_ptr<double>();
  for (int64_t s = 0; s < rows.size(0); ++s) {
    out.emplace_back(values + s * rows.size(1), values + (s + 1) * rows.size(1));
  }
  return out;
}

at::Tensor MeanIouTarget::local_totals() const {
  std::vector<double> totals = local_sums_;
  totals.push_back(static_cast<double>(local_samples_));
  return at::tensor(totals, at::dtype(at::kDouble));
}

double MeanIouTarget::finish_aggregate(const at::Tensor& totals, int world_size) {
  const at::Tensor host = totals.to(at::kDouble).cpu().contiguous();
  const auto slots = static_cast<int64_t>(local_sums_.size());
  SEGBENCH_CHECK(host.numel() == slots + 1, DistributedError,
                 "MeanIouTarget: the all-reduced totals have {} values, expected {}", host.numel(),
                 slots + 1);
  const double* values = host.data_ptr<double>();
  const double samples = values[slots];
  SEGBENCH_CHECK(samples >= 1.0, DataError,
                 "MeanIouTarget: no validation sample was scored on any of the {} rank(s)",
                 world_size);
  if (options_.averaging == IouAveraging::per_sample) return values[0] / samples;

  class_iou_.clear();
  double sum = 0.0;
  int scored = 0;
  for (int64_t c = 0; c < options_.num_classes; ++c) {
    const double iou = iou_or_nan(values[3 * c], values[3 * c + 1], values[3 * c + 2]);
    class_iou_.push_back(iou);
    if (c == 0 && !options_.include_background) continue;
    if (std::isnan(iou)) continue;
    sum += iou;
    ++scored;
  }
  return scored > 0 ? sum / scored : 1.0;
}

}  // namespace segbench
