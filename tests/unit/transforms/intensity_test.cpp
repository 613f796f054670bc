#include "segbench/transforms/intensity.hpp"

#include "segbench/error.hpp"
#include "segbench/transforms/compose.hpp"
#include "segbench/transforms/kits19_train.hpp"
#include "segbench/transforms/spatial.hpp"

#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <algorithm>

using namespace segbench;

namespace {

Sample ones_sample(std::int64_t n = 8) {
  return {at::ones({1, n, n, n}, at::kFloat), at::zeros({1, n, n, n}, at::kByte), "case_00005"};
}

}  // namespace

TEST_CASE("RandBrightness: factor 1 + U(0.7, 1.3) with the quirk, U(0.7, 1.3) without",
          "[transforms]") {
  at::set_num_threads(1);
  const Sample input = ones_sample(4);
  double quirk_min = 9, quirk_max = 0, plain_min = 9, plain_max = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Rng a(seed), b(seed);
    const Sample quirk = RandBrightness{.p = 1.0}(input, a);
    const Sample plain = RandBrightness{.p = 1.0, .reference_quirk = false}(input, b);
    const double fq = quirk.image[0][1][2][3].item<float>();
    const double fp = plain.image[0][1][2][3].item<float>();
    REQUIRE(at::allclose(quirk.image, at::full_like(input.image, fq)));
    REQUIRE(fq == Approx(1.0 + fp));  // same draw, shifted by one
    quirk_min = std::min(quirk_min, fq);
    quirk_max = std::max(quirk_max, fq);
    plain_min = std::min(plain_min, fp);
    plain_max = std::max(plain_max, fp);
  }
  REQUIRE(quirk_min >= 1.7 - 1e-6);
  REQUIRE(quirk_max < 2.3 + 1e-6);
  REQUIRE(quirk_min < 1.75);
  REQUIRE(quirk_max > 2.25);
  REQUIRE(plain_min >= 0.7 - 1e-6);
  REQUIRE(plain_max < 1.3 + 1e-6);
  REQUIRE(at::equal(input.image, at::ones({1, 4, 4, 4})));  // not modified in place
}

TEST_CASE("RandBrightness and RandGaussianNoise fire with probability p", "[transforms]") {
  const Sample input = ones_sample(2);
  int bright = 0, noisy = 0;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    Rng a(seed), b(seed);
    bright += !at::equal(RandBrightness{}(input, a).image, input.image);
    noisy += !at::equal(RandGaussianNoise{}(input, b).image, input.image);
  }
  REQUIRE(bright == Approx(200).margin(45));
  REQUIRE(noisy == Approx(200).margin(45));
}

TEST_CASE("RandGaussianNoise: zero-mean noise with sigma ~ U(0, max_std), deterministic",
          "[transforms]") {
  const Sample zeros{at::zeros({1, 16, 16, 16}), at::zeros({1, 16, 16, 16}, at::kByte), "c"};
  double smallest = 1, largest = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    Rng rng(seed);
    const Sample out = RandGaussianNoise{.p = 1.0, .max_std = 0.1}(zeros, rng);
    const double std = out.image.std().item<double>();
    const double mean = out.image.mean().item<double>();
    REQUIRE(std < 0.1 * 1.05);
    REQUIRE(std::abs(mean) < 4 * std / 64 + 1e-7);  // 4 standard errors of 4096 voxels
    smallest = std::min(smallest, std);
    largest = std::max(largest, std);
  }
  REQUIRE(smallest < 0.03);
  REQUIRE(largest > 0.07);

  Rng a(11), b(11), c(12);
  const auto na = RandGaussianNoise{.p = 1.0}(zeros, a).image;
  const auto nb = RandGaussianNoise{.p = 1.0}(zeros, b).image;
  const auto nc = RandGaussianNoise{.p = 1.0}(zeros, c).image;
  REQUIRE(at::equal(na, nb));
  REQUIRE_FALSE(at::equal(na, nc));
}

TEST_CASE("Cast: image float32, label uint8", "[transforms]") {
  Sample s{at::ones({1, 2, 2, 2}, at::kDouble), at::ones({1, 2, 2, 2}, at::kLong), "c"};
  Rng rng(0);
  const Sample out = Cast{}(s, rng);
  REQUIRE(out.image.scalar_type() == at::kFloat);
  REQUIRE(out.label.scalar_type() == at::kByte);
}

TEST_CASE("Compose: applies steps in order and names the failing step, case and shapes",
          "[transforms]") {
  Compose chain;
  chain.add("double", [](Sample s, Rng&) {
    s.image = s.image.mul(2.0);
    return s;
  });
  chain.add("plus_one", [](Sample s, Rng&) {
    s.image = s.image.add(1.0);
    return s;
  });
  Rng rng(0);
  REQUIRE(chain(ones_sample(2), rng).image[0][0][0][0].item<float>() == 3.0f);  // (1*2)+1

  const Compose failing(RandFlip{}, RandBalancedCrop{{5, 5, 5}, 0.4});
  REQUIRE(failing.names() == std::vector<std::string>{"RandFlip", "RandBalancedCrop"});
  const Sample small{at::zeros({1, 4, 4, 4}), at::zeros({1, 4, 4, 4}, at::kByte), "case_00042"};
  REQUIRE_THROWS_AS(failing(small, rng), DataError);
  REQUIRE_THROWS_WITH(failing(small, rng),
                      Catch::StartsWith("transform RandBalancedCrop on case_00042: ") &&
                          Catch::Contains("image [1, 4, 4, 4], label [1, 4, 4, 4]"));

  Compose torch_error;
  torch_error.add("bad_reshape", [](Sample s, Rng&) {
    s.image = s.image.reshape({3, 5});
    return s;
  });
  REQUIRE_THROWS_WITH(torch_error(small, rng),
                      Catch::StartsWith("transform bad_reshape on case_00042: ") &&
                          !Catch::Contains("Exception raised from"));  // no c10 backtrace
}

TEST_CASE("make_kits19_train_transforms: reference order, patch output, deterministic",
          "[transforms]") {
  const Compose pipeline = make_kits19_train_transforms({4, 6, 5}, 0.4, true);
  REQUIRE(pipeline.names() == std::vector<std::string>{"RandBalancedCrop", "RandFlip", "Cast",
                                                       "RandBrightness", "RandGaussianNoise"});
  Sample volume{at::randn({1, 10, 9, 8}), at::zeros({1, 10, 9, 8}, at::kByte), "case_00009"};
  volume.label.index_put_({0, 3, 3, 3}, 2);
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    Rng a(seed), b(seed);
    const Sample x = pipeline(volume, a);
    const Sample y = pipeline(volume, b);
    REQUIRE(x.image.sizes() == at::IntArrayRef{1, 4, 6, 5});
    REQUIRE(x.label.sizes() == at::IntArrayRef{1, 4, 6, 5});
    REQUIRE(x.image.scalar_type() == at::kFloat);
    REQUIRE(at::equal(x.image, y.image));
    REQUIRE(at::equal(x.label, y.label));
  }
}
