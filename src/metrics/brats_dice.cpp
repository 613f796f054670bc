#include "segbench/metrics/brats_dice.hpp"

#include <ATen/ops/argmax.h>
#include <ATen/ops/logical_and.h>
#include <fmt/format.h>

#include <numeric>
#include <string>

#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"

namespace segbench {
namespace {

using detail::shape_text;

void check_class_map(const char* what, const at::Tensor& map) {
  SEGBENCH_CHECK(map.defined() && map.dim() >= 3 && map.size(1) == 1, DataError,
                 "brats_volume_dice: expected a {} (N, 1, spatial...), found {}", what,
                 map.defined() ? shape_text(map.sizes()) : std::string("an undefined tensor"));
  SEGBENCH_CHECK(map.scalar_type() == at::kByte || map.scalar_type() == at::kLong, DataError,
                 "brats_volume_dice: expected a uint8 or int64 {}, found {}", what,
                 std::string(c10::toString(map.scalar_type())));
}

}  // namespace

std::vector<double> brats_volume_dice(const at::Tensor& prediction_N1HW,
                                      const at::Tensor& label_N1HW, int64_t num_classes) {
  check_class_map("prediction", prediction_N1HW);
  check_class_map("label", label_N1HW);
  SEGBENCH_CHECK(prediction_N1HW.sizes() == label_N1HW.sizes(), DataError,
                 "brats_volume_dice: prediction {} and label {} differ in shape",
                 shape_text(prediction_N1HW.sizes()), shape_text(label_N1HW.sizes()));
  SEGBENCH_CHECK(num_classes >= 2, DataError,
                 "brats_volume_dice: expected at least 2 classes, found {}", num_classes);
  const at::Tensor prediction = prediction_N1HW.to(at::kLong);
  const at::Tensor label = label_N1HW.to(at::kLong);
  std::vector<double> scores;
  for (int64_t c = 1; c < num_classes; ++c) {
    const at::Tensor in_label = label.eq(c);
    const at::Tensor in_prediction = prediction.eq(c);
    const int64_t label_count = in_label.sum().item<int64_t>();
    const int64_t predicted_count = in_prediction.sum().item<int64_t>();
    if (label_count == 0) {
      scores.push_back(predicted_count == 0 ? 1.0 : 0.0);
      continue;
    }
    const int64_t tp = at::logical_and(in_label, in_prediction).sum().item<int64_t>();
    const int64_t fp = predicted_count - tp, fn = label_count - tp;
    scores.push_back(static_cast<double>(2 * tp) / static_cast<double>(2 * tp + fp + fn));
  }
  return scores;
}

std::vector<double> brats_volume_dice_from_logits(const at::Tensor& logits_NCHW,
                                                  const at::Tensor& label_N1HW) {
  SEGBENCH_CHECK(logits_NCHW.defined() && logits_NCHW.dim() >= 3 && logits_NCHW.size(1) >= 2,
                 DataError,
                 "brats_volume_dice_from_logits: expected logits (N, C>=2, spatial...), "
                 "found {}",
                 logits_NCHW.defined() ? shape_text(logits_NCHW.sizes()) : "undefined");
  return brats_volume_dice(at::argmax(logits_NCHW, 1, /*keepdim=*/true), label_N1HW,
                           logits_NCHW.size(1));
}

MeanDiceTarget brats_mean_dice_target(double target) {
  return MeanDiceTarget(target, kBratsScoredClasses);
}

double brats_dice_sum(const MeanDiceTarget& aggregated) {
  const std::vector<double>& means = aggregated.class_means();
  SEGBENCH_CHECK(!means.empty(), DataError,
                 "brats_dice_sum: no class means yet, call aggregate() first");
  return std::accumulate(means.begin(), means.end(), 0.0);
}

}  // namespace segbench
