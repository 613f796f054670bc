#include "segbench/metrics/label_checks.hpp"

#include <ATen/ops/aminmax.h>
#include <c10/core/ScalarType.h>
#include <fmt/format.h>

#include <string>

#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"

namespace segbench {

at::Tensor checked_label_NHW(std::string_view caller, const at::Tensor& logits_NCHW,
                             const at::Tensor& label) {
  using detail::shape_text;
  SEGBENCH_CHECK(logits_NCHW.defined() && label.defined(), DataError,
                 "{}: logits and label must both be defined", caller);
  SEGBENCH_CHECK(logits_NCHW.dim() == 4 && logits_NCHW.size(1) >= 2 &&
                     at::isFloatingType(logits_NCHW.scalar_type()),
                 DataError, "{}: expected floating logits (N, C>=2, H, W), found {} {}", caller,
                 shape_text(logits_NCHW.sizes()),
                 std::string(c10::toString(logits_NCHW.scalar_type())));
  const auto& l = logits_NCHW.sizes();
  const bool nhw = label.dim() == 3;
  const bool n1hw = label.dim() == 4 && label.size(1) == 1;
  SEGBENCH_CHECK((nhw || n1hw) && label.size(0) == l[0] && label.size(label.dim() - 2) == l[2] &&
                     label.size(label.dim() - 1) == l[3],
                 DataError,
                 "{}: expected label shape [{}, {}, {}] or [{}, 1, {}, {}] to match logits {}, "
                 "found {}",
                 caller, l[0], l[2], l[3], l[0], l[2], l[3], shape_text(l),
                 shape_text(label.sizes()));
  const at::ScalarType label_type = label.scalar_type();
  SEGBENCH_CHECK(label_type == at::kByte || label_type == at::kLong, DataError,
                 "{}: expected a uint8 or int64 label, found {}", caller,
                 std::string(c10::toString(label_type)));
  const at::Tensor label_NHW = (n1hw ? label.squeeze(1) : label).to(at::kLong);
  if (label_NHW.numel() > 0) {
    const auto [lowest, highest] = at::aminmax(label_NHW);
    const int64_t low = lowest.item<int64_t>();
    const int64_t high = highest.item<int64_t>();
    SEGBENCH_CHECK(low >= 0 && high < l[1], DataError,
                   "{}: expected label values in [0, {}) for {} classes, found [{}, {}]", caller,
                   l[1], l[1], low, high);
  }
  return label_NHW;
}

}  // namespace segbench
