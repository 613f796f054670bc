#include "segbench/transforms/connected_components.hpp"

#include "segbench/error.hpp"

#include <algorithm>
#include <bitset>
#include <cstddef>

namespace segbench {

std::vector<Box3> component_boxes(std::span<const std::uint8_t> labels_DHW,
                                  const std::array<std::int64_t, 3>& shape_DHW,
                                  std::uint8_t value) {
  const auto [depth, height, width] = shape_DHW;
  SEGBENCH_CHECK(depth >= 0 && height >= 0 && width >= 0 &&
                     static_cast<std::int64_t>(labels_DHW.size()) == depth * height * width,
                 DataError,
                 "component_boxes: buffer of {} voxels does not match shape [{}, {}, {}]",
                 labels_DHW.size(), depth, height, width);

  const std::int64_t plane = height * width;
  std::vector<std::uint8_t> visited(labels_DHW.size(), 0);
  std::vector<std::int64_t> stack;
  std::vector<Box3> boxes;

  for (std::int64_t seed = 0; seed < static_cast<std::int64_t>(labels_DHW.size()); ++seed) {
    if (labels_DHW[seed] != value || visited[seed]) continue;
    Box3 box;
    box.lo = {depth, height, width};
    box.hi = {0, 0, 0};
    visited[seed] = 1;
    stack.push_back(seed);
    while (!stack.empty()) {
      const std::int64_t voxel = stack.back();
      stack.pop_back();
      const std::array<std::int64_t, 3> pos{voxel / plane, (voxel / width) % height, voxel % width};
      for (int axis = 0; axis < 3; ++axis) {
        box.lo[axis] = std::min(box.lo[axis], pos[axis]);
        box.hi[axis] = std::max(box.hi[axis], pos[axis] + 1);
      }
      const std::array<std::int64_t, 3> stride{plane, width, 1};
      for (int axis = 0; axis < 3; ++axis) {
        const std::int64_t extent = shape_DHW[axis];
        for (int step : {-1, 1}) {
          const std::int64_t moved = pos[axis] + step;
          if (moved < 0 || moved >= extent) continue;
          const std::int64_t neighbour = voxel + step * stride[axis];
          if (labels_DHW[neighbour] == value && !visited[neighbour]) {
            visited[neighbour] = 1;
            stack.push_back(neighbour);
          }
        }
      }
    }
    boxes.push_back(box);
  }
  return boxes;
}

std::vector<std::uint8_t> foreground_values(std::span<const std::uint8_t> labels) {
  std::bitset<256> present;
  for (std::uint8_t v : labels) present.set(v);
  std::vector<std::uint8_t> values;
  for (int v = 1; v < 256; ++v)
    if (present.test(v)) values.push_back(static_cast<std::uint8_t>(v));
  return values;
}

}  // namespace segbench
