#include "segbench/transforms/spatial.hpp"

#include "segbench/error.hpp"

#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <set>

using namespace segbench;

namespace {

Sample make_sample(std::int64_t d, std::int64_t h, std::int64_t w, const char* id = "case_00001") {
  at::Tensor image = at::arange(d * h * w, at::kFloat).reshape({1, d, h, w});
  at::Tensor label = at::zeros({1, d, h, w}, at::kByte);
  return {image, label, id};
}

bool inside(const Box3& box, const std::array<std::int64_t, 3>& volume) {
  for (int a = 0; a < 3; ++a)
    if (box.lo[a] < 0 || box.hi[a] > volume[a]) return false;
  return true;
}

}  // namespace

TEST_CASE("RandBalancedCrop: output is always the patch and the window is inside", "[transforms]") {
  at::set_num_threads(1);
  Sample sample = make_sample(9, 7, 11);
  sample.label.index_put_({0, at::indexing::Slice(2, 4), 3, at::indexing::Slice(5, 11)}, 1);
  sample.label.index_put_({0, 8, 6, 0}, 2);
  const RandBalancedCrop crop{{4, 5, 3}, 0.5};
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng_window(seed), rng_crop(seed);
    const Box3 box = crop.window(sample, rng_window);
    REQUIRE(inside(box, {9, 7, 11}));
    const Sample out = crop(sample, rng_crop);
    REQUIRE(out.image.sizes() == at::IntArrayRef{1, 4, 5, 3});
    REQUIRE(out.label.sizes() == at::IntArrayRef{1, 4, 5, 3});
    // The crop is the window: its first voxel is the image value at box.lo.
    const float expected = static_cast<float>((box.lo[0] * 7 + box.lo[1]) * 11 + box.lo[2]);
    REQUIRE(out.image[0][0][0][0].item<float>() == expected);
  }
}

TEST_CASE("RandBalancedCrop: random starts exclude size - patch; 0 when size == patch",
          "[transforms]") {
  const Sample sample = make_sample(5, 4, 6);
  const RandBalancedCrop crop{{3, 4, 2}, 0.0};
  std::array<std::set<std::int64_t>, 3> starts;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    const Box3 box = crop.window(sample, rng);
    for (int a = 0; a < 3; ++a) starts[a].insert(box.lo[a]);
  }
  REQUIRE(starts[0] == std::set<std::int64_t>{0, 1});        // 2 = 5 - 3 never drawn
  REQUIRE(starts[1] == std::set<std::int64_t>{0});           // size == patch
  REQUIRE(starts[2] == std::set<std::int64_t>{0, 1, 2, 3});  // 4 = 6 - 2 never drawn
}

TEST_CASE("RandBalancedCrop: with oversampling 1 a small blob is always inside the patch",
          "[transforms]") {
  Sample sample = make_sample(20, 20, 20);
  using at::indexing::Slice;
  sample.label.index_put_({0, Slice(15, 17), Slice(0, 2), Slice(18, 20)}, 1);
  const RandBalancedCrop crop{{8, 8, 8}, 1.0};
  std::set<std::int64_t> low_starts;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const Sample out = crop(sample, rng);
    REQUIRE(out.label.sizes() == at::IntArrayRef{1, 8, 8, 8});
    REQUIRE(out.label.sum().item<std::int64_t>() == 8);
    Rng again(seed);
    low_starts.insert(crop.window(sample, again).lo[0]);
  }
  // Axis 0: blob [15, 17) in 20, patch 8: diff 6, ladj in [0, 6) gives [15 - ladj, 23 - ladj)
  // clipped to 20 and pulled back to length 8, i.e. starts 12 (ladj <= 4 clipped), 11, 10.
  REQUIRE(low_starts == std::set<std::int64_t>{10, 11, 12});
}

TEST_CASE("RandBalancedCrop: foreground crops pick one of the two largest components of a class",
          "[transforms]") {
  Sample sample = make_sample(30, 30, 30);
  using at::indexing::Slice;
  sample.label.index_put_({0, Slice(0, 4), Slice(0, 4), Slice(0, 4)}, 1);        // box 64
  sample.label.index_put_({0, Slice(20, 23), Slice(20, 23), Slice(20, 23)}, 1);  // box 27
  sample.label.index_put_({0, 10, 25, 2}, 1);                                    // box 1
  const RandBalancedCrop crop{{2, 2, 2}, 1.0};
  int in_first = 0, in_second = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const Box3 box = crop.window(sample, rng);
    const bool first = box.hi[0] <= 4 && box.hi[1] <= 4 && box.hi[2] <= 4;
    const bool second = box.lo[0] >= 20 && box.hi[0] <= 23 && box.lo[1] >= 20 && box.hi[1] <= 23 &&
                        box.lo[2] >= 20 && box.hi[2] <= 23;
    REQUIRE((first || second));  // shrunk inside a big box; never at the single voxel
    in_first += first;
    in_second += second;
  }
  REQUIRE(in_first > 50);
  REQUIRE(in_second > 50);
}

TEST_CASE("RandBalancedCrop: classes are chosen uniformly; no foreground falls back to random",
          "[transforms]") {
  Sample sample = make_sample(16, 16, 16);
  sample.label.index_put_({0, 1, 1, 1}, 1);
  sample.label.index_put_({0, 14, 14, 14}, 2);
  const RandBalancedCrop crop{{2, 2, 2}, 1.0};
  int near_one = 0, near_two = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const Box3 box = crop.window(sample, rng);
    near_one += box.lo[0] <= 1 && box.hi[0] >= 2;
    near_two += box.lo[0] <= 14 && box.hi[0] >= 15;
  }
  REQUIRE(near_one + near_two == 200);
  REQUIRE(near_one > 60);
  REQUIRE(near_two > 60);

  const Sample empty = make_sample(6, 6, 6);
  Rng rng(5);
  REQUIRE(crop(empty, rng).label.sizes() == at::IntArrayRef{1, 2, 2, 2});
}

TEST_CASE("RandBalancedCrop: a volume smaller than the patch is a DataError naming the case",
          "[transforms]") {
  const Sample sample = make_sample(4, 9, 9, "case_00077");
  Rng rng(0);
  REQUIRE_THROWS_AS((RandBalancedCrop{{5, 5, 5}, 0.4}(sample, rng)), DataError);
  REQUIRE_THROWS_WITH(RandBalancedCrop({{5, 5, 5}, 0.4})(sample, rng),
                      Catch::Contains("case_00077") && Catch::Contains("[4, 9, 9]") &&
                          Catch::Contains("[5, 5, 5]"));
}

TEST_CASE("RandFlip: image and label are flipped together", "[transforms]") {
  at::Tensor image = at::arange(2 * 3 * 4, at::kFloat).reshape({1, 2, 3, 4});
  at::Tensor label = image.remainder(7).to(at::kByte);
  const Sample sample{image, label, "case_00002"};

  Rng rng(0);
  const Sample all = RandFlip{1.0}(sample, rng);
  REQUIRE(all.image[0][0][0][0].item<float>() == image[0][1][2][3].item<float>());
  REQUIRE(all.image[0][1][0][2].item<float>() == image[0][0][2][1].item<float>());
  REQUIRE(all.label[0][1][0][2].item<int>() == label[0][0][2][1].item<int>());

  const Sample none = RandFlip{0.0}(sample, rng);
  REQUIRE(at::equal(none.image, image));

  std::set<std::vector<float>> corners;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    Rng r(seed);
    const Sample out = RandFlip{}(sample, r);
    REQUIRE(at::equal(out.label, out.image.remainder(7).to(at::kByte)));  // same flips
    corners.insert({out.image[0][0][0][0].item<float>()});
  }
  REQUIRE(corners.size() == 8);                      // all 2^3 flip combinations occur
  REQUIRE(image[0][0][0][0].item<float>() == 0.0f);  // input untouched
}
