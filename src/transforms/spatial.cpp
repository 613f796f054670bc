#include "segbench/transforms/spatial.hpp"

#include "segbench/error.hpp"

#include <ATen/ops/flip.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <span>
#include <vector>

namespace segbench {

namespace {

using Extent3 = std::array<std::int64_t, 3>;

Box3 random_window(const Extent3& volume, const Extent3& patch, Rng& rng) {
  Box3 box;
  for (int axis = 0; axis < 3; ++axis) {
    box.lo[axis] = rng.randrange(volume[axis] - patch[axis]);
    box.hi[axis] = box.lo[axis] + patch[axis];
  }
  return box;
}

/// Grows or shrinks [lo, hi) to `patch` around the component box with a random split of the
/// difference, then shifts it back inside [0, size) (the reference's `adjust`).
std::pair<std::int64_t, std::int64_t> fit_axis(std::int64_t lo, std::int64_t hi, std::int64_t size,
                                               std::int64_t patch, Rng& rng) {
  std::int64_t diff = patch - (hi - lo);
  const std::int64_t sign = diff < 0 ? -1 : 1;
  diff = std::abs(diff);
  const std::int64_t low_adjust = rng.randrange(diff);
  const std::int64_t high_adjust = diff - low_adjust;
  std::int64_t low = std::max<std::int64_t>(0, lo - sign * low_adjust);
  std::int64_t high = std::min(size, hi + sign * high_adjust);
  const std::int64_t short_by = patch - (high - low);
  if (short_by > 0 && low == 0) {
    high += short_by;
  } else if (short_by > 0) {
    low -= short_by;
  }
  return {low, high};
}

}  // namespace

Box3 RandBalancedCrop::window(const Sample& sample, Rng& rng) const {
  const at::Tensor& label = sample.label;
  SEGBENCH_CHECK(
      label.defined() && label.dim() == 4 && label.size(0) == 1 && label.scalar_type() == at::kByte,
      DataError, "{}: RandBalancedCrop needs a uint8 label of shape (1, D, H, W)", sample.case_id);
  const Extent3 volume{label.size(1), label.size(2), label.size(3)};
  SEGBENCH_CHECK(sample.image.defined() && sample.image.dim() == 4 &&
                     sample.image.sizes().slice(1) == label.sizes().slice(1),
                 DataError, "{}: image shape [{}] does not match label shape [{}]", sample.case_id,
                 sample.image.defined() ? fmt::format("{}", fmt::join(sample.image.sizes(), ", "))
                                        : "undefined",
                 fmt::join(label.sizes(), ", "));
  for (int axis = 0; axis < 3; ++axis)
    SEGBENCH_CHECK(volume[axis] >= patch[axis], DataError,
                   "{}: volume shape [{}] is smaller than the patch [{}] on axis {}",
                   sample.case_id, fmt::join(volume, ", "), fmt::join(patch, ", "), axis);

  if (!rng.bernoulli(oversampling)) return random_window(volume, patch, rng);

  const at::Tensor contiguous = label.contiguous();
  const std::span<const std::uint8_t> voxels(contiguous.data_ptr<std::uint8_t>(),
                                             static_cast<std::size_t>(contiguous.numel()));
  const std::vector<std::uint8_t> classes = foreground_values(voxels);
  if (classes.empty()) return random_window(volume, patch, rng);
  const std::uint8_t chosen_class =
      classes[static_cast<std::size_t>(rng.randrange(static_cast<std::int64_t>(classes.size())))];

  std::vector<Box3> boxes = component_boxes(voxels, volume, chosen_class);
  // numpy's argsort(volumes)[-2:]: ascending by volume, ties in label order.
  std::vector<std::size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return boxes[a].volume() < boxes[b].volume();
  });
  const std::size_t keep = std::min<std::size_t>(2, order.size());
  const std::size_t pick =
      order[order.size() - keep +
            static_cast<std::size_t>(rng.randrange(static_cast<std::int64_t>(keep)))];
  const Box3& component = boxes[pick];

  Box3 window;
  for (int axis = 0; axis < 3; ++axis) {
    std::tie(window.lo[axis], window.hi[axis]) =
        fit_axis(component.lo[axis], component.hi[axis], volume[axis], patch[axis], rng);
  }
  return window;
}

Sample RandBalancedCrop::operator()(Sample sample, Rng& rng) const {
  const Box3 box = window(sample, rng);
  auto crop = [&](const at::Tensor& t) {
    return t.slice(1, box.lo[0], box.hi[0])
        .slice(2, box.lo[1], box.hi[1])
        .slice(3, box.lo[2], box.hi[2])
        .contiguous();
  };
  sample.image = crop(sample.image);
  sample.label = crop(sample.label);
  return sample;
}

Sample RandFlip::operator()(Sample sample, Rng& rng) const {
  std::vector<std::int64_t> axes;
  for (std::int64_t axis = 1; axis <= 3; ++axis)
    if (rng.bernoulli(p)) axes.push_back(axis);
  if (!axes.empty()) {
    sample.image = at::flip(sample.image, axes);
    sample.label = at::flip(sample.label, axes);
  }
  return sample;
}

}  // namespace segbench
