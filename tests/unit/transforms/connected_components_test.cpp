#include "segbench/transforms/connected_components.hpp"

#include <catch2/catch.hpp>

#include <vector>

using segbench::Box3;
using segbench::component_boxes;

namespace {

struct Volume {
  std::array<std::int64_t, 3> shape;
  std::vector<std::uint8_t> voxels;
  explicit Volume(std::array<std::int64_t, 3> s)
      : shape(s), voxels(static_cast<std::size_t>(s[0] * s[1] * s[2]), 0) {}
  std::uint8_t& at(std::int64_t d, std::int64_t h, std::int64_t w) {
    return voxels[static_cast<std::size_t>((d * shape[1] + h) * shape[2] + w)];
  }
  std::vector<Box3> boxes(std::uint8_t value) const {
    return component_boxes(voxels, shape, value);
  }
};

}  // namespace

TEST_CASE("component_boxes: two separate blobs give two boxes in raster order", "[transforms]") {
  Volume v({6, 7, 8});
  for (int d = 3; d < 5; ++d)
    for (int h = 1; h < 4; ++h) v.at(d, h, 6) = 1;  // second in raster order
  v.at(0, 5, 2) = 1;                                // first in raster order
  v.at(0, 5, 3) = 1;
  v.at(1, 5, 3) = 1;
  v.at(2, 2, 2) = 2;  // another class: ignored
  const auto boxes = v.boxes(1);
  REQUIRE(boxes.size() == 2);
  REQUIRE(boxes[0] == Box3{{0, 5, 2}, {2, 6, 4}});
  REQUIRE(boxes[1] == Box3{{3, 1, 6}, {5, 4, 7}});
  REQUIRE(boxes[0].volume() == 4);
  REQUIRE(boxes[1].volume() == 6);
  REQUIRE(v.boxes(2) == std::vector<Box3>{Box3{{2, 2, 2}, {3, 3, 3}}});
  REQUIRE(v.boxes(3).empty());
}

TEST_CASE("component_boxes: diagonal neighbours are not 6-connected", "[transforms]") {
  Volume edge({3, 3, 3});
  edge.at(0, 0, 0) = 1;
  edge.at(0, 1, 1) = 1;  // shares only an edge
  REQUIRE(edge.boxes(1).size() == 2);

  Volume corner({3, 3, 3});
  corner.at(0, 0, 0) = 1;
  corner.at(1, 1, 1) = 1;  // shares only a corner
  corner.at(2, 2, 2) = 1;
  REQUIRE(corner.boxes(1).size() == 3);

  Volume face({3, 3, 3});  // an L through face neighbours is one component
  face.at(0, 0, 0) = 1;
  face.at(0, 1, 0) = 1;
  face.at(1, 1, 0) = 1;
  face.at(1, 1, 1) = 1;
  REQUIRE(face.boxes(1) == std::vector<Box3>{Box3{{0, 0, 0}, {2, 2, 2}}});
}

TEST_CASE("component_boxes: a U shape joined at the bottom is one component", "[transforms]") {
  Volume v({1, 4, 5});
  for (int h = 0; h < 4; ++h) {
    v.at(0, h, 0) = 1;
    v.at(0, h, 4) = 1;
  }
  for (int w = 0; w < 5; ++w) v.at(0, 3, w) = 1;
  REQUIRE(v.boxes(1) == std::vector<Box3>{Box3{{0, 0, 0}, {1, 4, 5}}});
}

TEST_CASE("component_boxes: buffer and shape must agree", "[transforms]") {
  std::vector<std::uint8_t> voxels(10, 0);
  REQUIRE_THROWS_WITH(component_boxes(voxels, {2, 2, 2}, 1),
                      Catch::Contains("10 voxels") && Catch::Contains("[2, 2, 2]"));
}

TEST_CASE("foreground_values: sorted label values above 0", "[transforms]") {
  const std::vector<std::uint8_t> labels{0, 2, 0, 2, 7, 1, 0};
  REQUIRE(segbench::foreground_values(labels) == std::vector<std::uint8_t>{1, 2, 7});
  REQUIRE(segbench::foreground_values(std::vector<std::uint8_t>(5, 0)).empty());
}
