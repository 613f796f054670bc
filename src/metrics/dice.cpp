#include "segbench/metrics/dice.hpp"

#include <ATen/ops/argmax.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/tensor.h>
#include <fmt/format.h>

#include <cmath>

#include "segbench/error.hpp"
#include "segbench/metrics/dice_coefficient.hpp"

namespace segbench {

std::vector<double> dice_score(const at::Tensor& logits_NCDHW, const at::Tensor& label_N1DHW,
                               bool include_background) {
  check_logits_and_label("dice_score", logits_NCDHW, label_N1DHW);
  const int64_t num_classes = logits_NCDHW.size(1);
  const at::Tensor predicted_N1DHW = at::argmax(logits_NCDHW, 1, /*keepdim=*/true);
  const at::Tensor prediction = one_hot_NCDHW(predicted_N1DHW, num_classes, at::kFloat);
  const at::Tensor target = one_hot_NCDHW(label_N1DHW, num_classes, at::kFloat);
  const at::Tensor per_class =
      at::mean(dice_coefficient(target, prediction, include_background), 0).to(at::kDouble).cpu();
  const double* values = per_class.data_ptr<double>();
  return std::vector<double>(values, values + per_class.numel());
}

MeanDiceTarget::MeanDiceTarget(double target, int num_classes)
    : target_(target), num_classes_(num_classes) {
  SEGBENCH_CHECK(num_classes > 0, ConfigError,
                 "MeanDiceTarget: expected at least one scored class, found {}", num_classes);
  SEGBENCH_CHECK(target > 0.0 && target <= 1.0, ConfigError,
                 "MeanDiceTarget: expected a target Dice in (0, 1], found {}", target);
  reset();
}

void MeanDiceTarget::update(const std::vector<double>& case_scores) {
  SEGBENCH_CHECK(case_scores.size() == static_cast<std::size_t>(num_classes_), DataError,
                 "MeanDiceTarget: expected {} per-class scores for a case, found {}", num_classes_,
                 case_scores.size());
  for (std::size_t c = 0; c < case_scores.size(); ++c) {
    SEGBENCH_CHECK(std::isfinite(case_scores[c]), DataError,
                   "MeanDiceTarget: case {} has a non-finite Dice {} for class {}", local_cases_,
                   case_scores[c], c);
    local_sums_[c] += case_scores[c];
  }
  ++local_cases_;
}

void MeanDiceTarget::reset() {
  local_sums_.assign(static_cast<std::size_t>(num_classes_), 0.0);
  local_cases_ = 0;
  class_means_.clear();
}

at::Tensor MeanDiceTarget::local_totals() const {
  std::vector<double> totals = local_sums_;
  totals.push_back(static_cast<double>(local_cases_));
  return at::tensor(totals, at::dtype(at::kDouble));
}

double MeanDiceTarget::finish_aggregate(const at::Tensor& totals, int world_size) {
  const at::Tensor host = totals.to(at::kDouble).cpu().contiguous();
  SEGBENCH_CHECK(host.numel() == num_classes_ + 1, DistributedError,
                 "MeanDiceTarget: the all-reduced totals have {} values, expected {}", host.numel(),
                 num_classes_ + 1);
  const double* values = host.data_ptr<double>();
  const double cases = values[num_classes_];
  SEGBENCH_CHECK(cases >= 1.0, DataError,
                 "MeanDiceTarget: no validation case was scored on any of the {} rank(s)",
                 world_size);
  class_means_.assign(values, values + num_classes_);
  double mean = 0.0;
  for (double& class_mean : class_means_) {
    class_mean /= cases;
    mean += class_mean;
  }
  return mean / num_classes_;
}

}  // namespace segbench
