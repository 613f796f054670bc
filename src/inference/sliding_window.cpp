#include "segbench/inference/sliding_window.hpp"
#include "segbench/detail/shape_text.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/zeros.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/inference/gaussian_map.hpp"

namespace segbench {
namespace {

constexpr double kSigmaScale = 0.125;

using detail::shape_text;

/// The importance map converted to the accumulators' dtype and device, computed once per key.
at::Tensor cached_importance_map(std::array<int64_t, 3> roi, at::ScalarType dtype,
                                 const at::Device& device) {
  using Key = std::tuple<std::array<int64_t, 3>, int, std::string>;
  static std::mutex mutex;
  static std::map<Key, at::Tensor> cache;
  const Key key{roi, static_cast<int>(dtype), device.str()};
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache.find(key);
  if (found == cache.end()) {
    const at::Tensor map = gaussian_importance_map(roi, kSigmaScale).to(device, dtype);
    found = cache.emplace(key, map.view({1, 1, roi[0], roi[1], roi[2]})).first;
  }
  return found->second;
}

at::Tensor spatial_region(const at::Tensor& volume_NCDHW, const std::array<int64_t, 3>& start,
                          const std::array<int64_t, 3>& size) {
  return volume_NCDHW.narrow(2, start[0], size[0])
      .narrow(3, start[1], size[1])
      .narrow(4, start[2], size[2]);
}

}  // namespace

SlidingWindowPlan plan_sliding_window(std::array<int64_t, 3> spatial_shape,
                                      const SlidingWindowOptions& options) {
  SEGBENCH_CHECK(options.overlap >= 0.0 && options.overlap < 1.0, ConfigError,
                 "sliding window: expected overlap in [0, 1), found {}", options.overlap);
  SEGBENCH_CHECK(options.windows_per_batch >= 1, ConfigError,
                 "sliding window: expected windows_per_batch >= 1, found {}",
                 options.windows_per_batch);
  SlidingWindowPlan plan;
  for (std::size_t axis = 0; axis < 3; ++axis) {
    const int64_t roi = options.roi[axis];
    const int64_t size = spatial_shape[axis];
    const int64_t stride = static_cast<int64_t>(static_cast<double>(roi) * (1.0 - options.overlap));
    SEGBENCH_CHECK(roi > 0 && stride > 0, ConfigError,
                   "sliding window: ROI [{}, {}, {}] with overlap {} gives stride {} on axis {}, "
                   "expected a positive stride",
                   options.roi[0], options.roi[1], options.roi[2], options.overlap, stride, axis);
    SEGBENCH_CHECK(size > 0, DataError, "sliding window: volume [{}, {}, {}] is empty on axis {}",
                   spatial_shape[0], spatial_shape[1], spatial_shape[2], axis);
    // A remainder under half a stride is cut off (half before, rest after) instead of padded.
    const int64_t remainder = size % stride;
    const int64_t trim = remainder < stride / 2 ? remainder : 0;
    const int64_t scored = size - trim;
    SEGBENCH_CHECK(scored > 0, DataError,
                   "sliding window: volume [{}, {}, {}] trims to nothing on axis {} (stride {})",
                   spatial_shape[0], spatial_shape[1], spatial_shape[2], axis, stride);
    int64_t pad = (stride - scored % stride) % stride;
    while (scored + pad < roi) pad += stride;
    plan.stride[axis] = stride;
    plan.trim_before[axis] = trim / 2;
    plan.scored_shape[axis] = scored;
    plan.pad_before[axis] = pad / 2;
    plan.padded_shape[axis] = scored + pad;
    plan.windows[axis] = (scored + pad - roi) / stride + 1;
  }
  return plan;
}

std::array<int64_t, 3> sliding_window_count(std::array<int64_t, 3> spatial_shape,
                                            const SlidingWindowOptions& options) {
  return plan_sliding_window(spatial_shape, options).windows;
}

SlidingWindowResult sliding_window_inference(
    const std::function<at::Tensor(const at::Tensor&)>& predict, const at::Tensor& image_NCDHW,
    const at::Tensor& label_N1DHW, const SlidingWindowOptions& options) {
  SEGBENCH_CHECK(image_NCDHW.defined() && image_NCDHW.dim() == 5, DataError,
                 "sliding window: expected an image (N, C, D, H, W), found {}",
                 image_NCDHW.defined() ? shape_text(image_NCDHW.sizes()) : "an undefined tensor");
  const int64_t batch = image_NCDHW.size(0);
  const std::array<int64_t, 3> spatial{image_NCDHW.size(2), image_NCDHW.size(3),
                                       image_NCDHW.size(4)};
  if (label_N1DHW.defined()) {
    SEGBENCH_CHECK(
        label_N1DHW.dim() == 5 && label_N1DHW.size(0) == batch && label_N1DHW.size(1) == 1 &&
            label_N1DHW.sizes().slice(2) == image_NCDHW.sizes().slice(2),
        DataError,
        "sliding window: expected label shape [{}, 1, {}, {}, {}] for image {}, found {}", batch,
        spatial[0], spatial[1], spatial[2], shape_text(image_NCDHW.sizes()),
        shape_text(label_N1DHW.sizes()));
  }
  const SlidingWindowPlan plan = plan_sliding_window(spatial, options);
  const std::array<int64_t, 3>& roi = options.roi;
  at::NoGradGuard no_grad;

  const at::Tensor scored_image = spatial_region(image_NCDHW, plan.trim_before, plan.scored_shape);
  std::vector<int64_t> padding;  // constant_pad_nd order: last axis first, (before, after) pairs
  for (int axis = 2; axis >= 0; --axis) {
    const std::size_t a = static_cast<std::size_t>(axis);
    padding.push_back(plan.pad_before[a]);
    padding.push_back(plan.padded_shape[a] - plan.scored_shape[a] - plan.pad_before[a]);
  }
  const at::Tensor padded = at::constant_pad_nd(scored_image, padding, options.pad_value);

  std::vector<std::array<int64_t, 3>> starts;
  for (int64_t i = 0; i < plan.windows[0]; ++i) {
    for (int64_t j = 0; j < plan.windows[1]; ++j) {
      for (int64_t k = 0; k < plan.windows[2]; ++k) {
        starts.push_back({i * plan.stride[0], j * plan.stride[1], k * plan.stride[2]});
      }
    }
  }

  at::Tensor weighted_sum;  // (N, C, padded) and (1, 1, padded), allocated once C is known
  at::Tensor weight_sum;
  at::Tensor importance;
  const auto windows = static_cast<int64_t>(starts.size());
  for (int64_t first = 0; first < windows; first += options.windows_per_batch) {
    const int64_t count = std::min(options.windows_per_batch, windows - first);
    std::vector<at::Tensor> crops;
    for (int64_t w = first; w < first + count; ++w) {
      crops.push_back(spatial_region(padded, starts[static_cast<std::size_t>(w)], roi));
    }
    const at::Tensor logits = predict(count == 1 ? crops.front().contiguous() : at::cat(crops, 0));
    SEGBENCH_CHECK(logits.defined() && logits.dim() == 5 && logits.size(0) == count * batch &&
                       logits.size(2) == roi[0] && logits.size(3) == roi[1] &&
                       logits.size(4) == roi[2],
                   DataError,
                   "sliding window: predict() on {} window(s) of [{}, {}, {}] returned {}, "
                   "expected [{}, C, {}, {}, {}]",
                   count, roi[0], roi[1], roi[2],
                   logits.defined() ? shape_text(logits.sizes()) : "an undefined tensor",
                   count * batch, roi[0], roi[1], roi[2]);
    if (!weighted_sum.defined()) {
      const at::ScalarType dtype = c10::promoteTypes(logits.scalar_type(), at::kFloat);
      const auto accumulator = padded.options().dtype(dtype);
      weighted_sum = at::zeros(
          {batch, logits.size(1), plan.padded_shape[0], plan.padded_shape[1], plan.padded_shape[2]},
          accumulator);
      weight_sum = at::zeros(
          {1, 1, plan.padded_shape[0], plan.padded_shape[1], plan.padded_shape[2]}, accumulator);
      importance = cached_importance_map(roi, dtype, padded.device());
    }
    SEGBENCH_CHECK(logits.size(1) == weighted_sum.size(1), DataError,
                   "sliding window: predict() returned {} channels, earlier windows had {}",
                   logits.size(1), weighted_sum.size(1));
    for (int64_t w = 0; w < count; ++w) {
      const auto& start = starts[static_cast<std::size_t>(first + w)];
      spatial_region(weighted_sum, start, roi)
          .addcmul_(logits.narrow(0, w * batch, batch), importance);
      spatial_region(weight_sum, start, roi).add_(importance);
    }
  }

  SlidingWindowResult result;
  result.logits_NCDHW = spatial_region(weighted_sum, plan.pad_before, plan.scored_shape)
                            .div(spatial_region(weight_sum, plan.pad_before, plan.scored_shape));
  if (label_N1DHW.defined()) {
    result.label_N1DHW = spatial_region(label_N1DHW, plan.trim_before, plan.scored_shape);
  }
  result.windows = windows;
  return result;
}

}  // namespace segbench
