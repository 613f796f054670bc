#include "segbench/metrics/dice_coefficient.hpp"
#include "segbench/detail/shape_text.hpp"

#include <ATen/ops/aminmax.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/eq.h>
#include <ATen/ops/sum.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

#include "segbench/error.hpp"

namespace segbench {
namespace {

using detail::shape_text;

}  // namespace

void check_logits_and_label(std::string_view caller, const at::Tensor& logits_NCDHW,
                            const at::Tensor& label_N1DHW) {
  SEGBENCH_CHECK(logits_NCDHW.defined() && label_N1DHW.defined(), DataError,
                 "{}: logits and label must both be defined", caller);
  SEGBENCH_CHECK(logits_NCDHW.dim() == 5 && logits_NCDHW.size(1) >= 2 &&
                     at::isFloatingType(logits_NCDHW.scalar_type()),
                 DataError, "{}: expected floating logits (N, C>=2, D, H, W), found {} {}", caller,
                 shape_text(logits_NCDHW.sizes()),
                 std::string(c10::toString(logits_NCDHW.scalar_type())));
  const auto& l = logits_NCDHW.sizes();
  SEGBENCH_CHECK(label_N1DHW.dim() == 5 && label_N1DHW.size(0) == l[0] &&
                     label_N1DHW.size(1) == 1 && label_N1DHW.sizes().slice(2) == l.slice(2),
                 DataError,
                 "{}: expected label shape [{}, 1, {}, {}, {}] to match logits {}, found {}",
                 caller, l[0], l[2], l[3], l[4], shape_text(l), shape_text(label_N1DHW.sizes()));
  const at::ScalarType label_type = label_N1DHW.scalar_type();
  SEGBENCH_CHECK(label_type == at::kByte || label_type == at::kLong, DataError,
                 "{}: expected a uint8 or int64 label, found {}", caller,
                 std::string(c10::toString(label_type)));
  if (label_N1DHW.numel() == 0) return;
  const auto [lowest, highest] = at::aminmax(label_N1DHW);
  const int64_t low = lowest.item<int64_t>();
  const int64_t high = highest.item<int64_t>();
  SEGBENCH_CHECK(low >= 0 && high < l[1], DataError,
                 "{}: expected label values in [0, {}) for {} classes, found [{}, {}]", caller,
                 l[1], l[1], low, high);
}

at::Tensor one_hot_NCDHW(const at::Tensor& label_N1DHW, int64_t num_classes, at::ScalarType dtype) {
  const at::Tensor classes = at::arange(num_classes, label_N1DHW.options().dtype(at::kLong))
                                 .view({1, num_classes, 1, 1, 1});
  return at::eq(label_N1DHW.to(at::kLong), classes).to(dtype);
}

at::Tensor dice_coefficient(const at::Tensor& target_NCDHW, const at::Tensor& prediction_NCDHW,
                            bool include_background) {
  const int64_t first = include_background ? 0 : 1;
  const at::Tensor target = target_NCDHW.slice(1, first);
  const at::Tensor prediction = prediction_NCDHW.slice(1, first);
  const std::vector<int64_t> spatial_axes{2, 3, 4};
  const at::Tensor intersection = at::sum(target.mul(prediction), spatial_axes);
  const at::Tensor target_sum = at::sum(target, spatial_axes);
  const at::Tensor prediction_sum = at::sum(prediction, spatial_axes);
  return intersection.mul(2.0)
      .add(kDiceSmoothing)
      .div(target_sum.add(prediction_sum).add(kDiceSmoothing));
}

}  // namespace segbench
