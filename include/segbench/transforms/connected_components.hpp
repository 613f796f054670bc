// 6-connected components of one label value in a 3-D uint8 volume, reduced to their
// bounding boxes (what scipy.ndimage.label + find_objects give the reference crop).
// No torch here.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace segbench {

/// Half-open box [lo, hi) per spatial axis (D, H, W).
struct Box3 {
  std::array<std::int64_t, 3> lo{};
  std::array<std::int64_t, 3> hi{};

  std::int64_t volume() const { return (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]); }
  bool operator==(const Box3&) const = default;
};

/// Bounding boxes of the 6-connected components of `labels == value` in a C-order
/// (D, H, W) volume, in the order scipy numbers them (first voxel in raster order).
std::vector<Box3> component_boxes(std::span<const std::uint8_t> labels_DHW,
                                  const std::array<std::int64_t, 3>& shape_DHW, std::uint8_t value);

/// The label values > 0 present in the volume, ascending (numpy.unique(label[label > 0])).
std::vector<std::uint8_t> foreground_values(std::span<const std::uint8_t> labels);

}  // namespace segbench
