#include "segbench/losses/nnunet_loss.hpp"

#include <ATen/ops/aminmax.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/eq.h>
#include <ATen/ops/floor.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/sum.h>
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"

namespace segbench {
namespace {

using detail::shape_text;

void check_label(const char* caller, const at::Tensor& label) {
  SEGBENCH_CHECK(label.defined() && label.dim() >= 3 && label.size(1) == 1, DataError,
                 "{}: expected a label (N, 1, H, W), found {}", caller,
                 label.defined() ? shape_text(label.sizes()) : std::string("an undefined tensor"));
  SEGBENCH_CHECK(label.scalar_type() == at::kByte || label.scalar_type() == at::kLong, DataError,
                 "{}: expected a uint8 or int64 label, found {}", caller,
                 std::string(c10::toString(label.scalar_type())));
}

void check_logits_and_label(const at::Tensor& logits, const at::Tensor& label) {
  constexpr const char* kCaller = "nnunet_dice_ce_loss";
  SEGBENCH_CHECK(logits.defined() && logits.dim() >= 3 && logits.size(1) >= 2 &&
                     at::isFloatingType(logits.scalar_type()),
                 DataError, "{}: expected floating logits (N, C>=2, H, W), found {} {}", kCaller,
                 logits.defined() ? shape_text(logits.sizes()) : std::string("undefined"),
                 logits.defined() ? std::string(c10::toString(logits.scalar_type())) : "");
  check_label(kCaller, label);
  const bool same_shape = label.dim() == logits.dim() && label.size(0) == logits.size(0) &&
                          label.sizes().slice(2) == logits.sizes().slice(2);
  SEGBENCH_CHECK(same_shape, DataError,
                 "{}: expected a label (N, 1, spatial) matching logits {}, found {}", kCaller,
                 shape_text(logits.sizes()), shape_text(label.sizes()));
  if (label.numel() == 0) return;
  const auto [lowest, highest] = at::aminmax(label);
  const int64_t low = lowest.item<int64_t>(), high = highest.item<int64_t>();
  SEGBENCH_CHECK(low >= 0 && high < logits.size(1), DataError,
                 "{}: expected label values in [0, {}) for {} classes, found [{}, {}]", kCaller,
                 logits.size(1), logits.size(1), low, high);
}

}  // namespace

at::Tensor nnunet_dice_ce_loss(const at::Tensor& logits_NCHW, const at::Tensor& label_N1HW) {
  check_logits_and_label(logits_NCHW, label_N1HW);
  // bf16/fp16 logits (autocast) are scored in float32, as CUDA autocast does for softmax and CE.
  const at::Tensor logits =
      logits_NCHW.scalar_type() == at::kDouble ? logits_NCHW : logits_NCHW.to(at::kFloat);
  const int64_t num_classes = logits.size(1);
  const at::Tensor target_N1HW = label_N1HW.to(at::kLong);

  std::vector<int64_t> class_shape(static_cast<std::size_t>(logits.dim()), 1);
  class_shape[1] = num_classes - 1;
  const at::Tensor foreground = at::arange(1, num_classes, target_N1HW.options()).view(class_shape);
  const at::Tensor onehot = at::eq(target_N1HW, foreground).to(logits.scalar_type());
  const at::Tensor probabilities = at::softmax(logits, 1).slice(1, 1);

  std::vector<int64_t> reduce_axes{0};
  for (int64_t axis = 2; axis < logits.dim(); ++axis) reduce_axes.push_back(axis);
  const at::Tensor intersection = at::sum(probabilities.mul(onehot), reduce_axes);
  const at::Tensor denominator =
      at::sum(probabilities, reduce_axes).add(at::sum(onehot, reduce_axes));
  const at::Tensor dice =
      intersection.mul(2.0).add(kNnunetDiceSmoothing).div(denominator.add(kNnunetDiceSmoothing));
  const at::Tensor dice_loss = at::mean(dice.neg().add(1.0));
  const at::Tensor cross_entropy = at::cross_entropy_loss(logits, target_N1HW.squeeze(1));
  return dice_loss.add(cross_entropy);
}

std::vector<double> deep_supervision_weights(std::size_t outputs) {
  SEGBENCH_CHECK(outputs >= 1 && outputs <= 30, ConfigError,
                 "deep_supervision_weights: expected 1 to 30 outputs, found {}", outputs);
  const double norm = 2.0 - std::ldexp(1.0, -static_cast<int>(outputs));
  std::vector<double> weights;
  for (std::size_t i = 0; i < outputs; ++i) {
    weights.push_back(std::ldexp(1.0, -static_cast<int>(i)) / norm);
  }
  return weights;
}

at::Tensor resize_label_nearest(const at::Tensor& label_N1HW, at::IntArrayRef size) {
  check_label("resize_label_nearest", label_N1HW);
  SEGBENCH_CHECK(static_cast<int64_t>(size.size()) == label_N1HW.dim() - 2, DataError,
                 "resize_label_nearest: label {} has {} spatial axes, found target size {}",
                 shape_text(label_N1HW.sizes()), label_N1HW.dim() - 2, shape_text(size));
  at::Tensor resized = label_N1HW;
  for (std::size_t i = 0; i < size.size(); ++i) {
    const int64_t axis = static_cast<int64_t>(i) + 2;
    const int64_t in = label_N1HW.size(axis), out = size[i];
    SEGBENCH_CHECK(out > 0, DataError, "resize_label_nearest: expected a positive size, found {}",
                   shape_text(size));
    if (in == out) continue;
    // PyTorch's nearest_idx: float scale in/out, floor(i · scale), clamped to in − 1.
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    const at::Tensor source =
        at::floor(at::arange(out, at::TensorOptions().dtype(at::kFloat)).mul(scale))
            .to(at::kLong)
            .clamp_max(in - 1)
            .to(label_N1HW.device());
    resized = resized.index_select(axis, source);
  }
  return resized;
}

at::Tensor nnunet_deep_supervision_loss(const std::vector<at::Tensor>& outputs,
                                        const at::Tensor& label_N1HW) {
  SEGBENCH_CHECK(!outputs.empty(), DataError,
                 "nnunet_deep_supervision_loss: expected at least one output, found none");
  if (outputs.size() == 1) return nnunet_dice_ce_loss(outputs[0], label_N1HW);
  const std::vector<double> weights = deep_supervision_weights(outputs.size());
  at::Tensor total;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    SEGBENCH_CHECK(outputs[i].defined() && outputs[i].dim() == label_N1HW.dim(), DataError,
                   "nnunet_deep_supervision_loss: output {} has shape {}, expected {} axes like "
                   "the label {}",
                   i, outputs[i].defined() ? shape_text(outputs[i].sizes()) : "undefined",
                   label_N1HW.dim(), shape_text(label_N1HW.sizes()));
    const at::Tensor label = resize_label_nearest(label_N1HW, outputs[i].sizes().slice(2));
    const at::Tensor term = nnunet_dice_ce_loss(outputs[i], label).mul(weights[i]);
    total = i == 0 ? term : total.add(term);
  }
  return total;
}

}  // namespace segbench
