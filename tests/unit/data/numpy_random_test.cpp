#include "segbench/random/numpy_random.hpp"
#include "catch_torch.hpp"

#include <algorithm>
#include <numeric>

using segbench::NumpyLegacyRandom;

TEST_CASE("numpy legacy permutation reproduces KFold(5, shuffle, 12345) fold 0 of 484 cases",
          "[data]") {
  // fidelity §3.3: the fold-0 validation indices of the 484-case BraTS set.
  const std::vector<std::size_t> fold0 = {
      9,   10,  11,  17,  19,  27,  28,  31,  33,  40,  41,  46,  48,  52,  55,  56,  66,
      68,  84,  85,  87,  90,  97,  99,  100, 101, 103, 110, 115, 134, 135, 137, 144, 148,
      154, 156, 157, 158, 162, 163, 168, 175, 180, 182, 183, 186, 191, 197, 206, 207, 217,
      219, 223, 229, 270, 281, 283, 286, 289, 290, 291, 292, 299, 304, 310, 313, 320, 327,
      328, 334, 342, 349, 350, 355, 365, 366, 373, 375, 376, 377, 378, 383, 385, 393, 397,
      399, 431, 436, 444, 445, 449, 451, 459, 469, 471, 472, 481};
  NumpyLegacyRandom random(12345);
  std::vector<std::size_t> order = random.permutation(484);
  std::vector<std::size_t> first(order.begin(), order.begin() + 97);
  std::sort(first.begin(), first.end());
  CHECK(first == fold0);
}

TEST_CASE("numpy random_interval stays in range and covers it", "[data]") {
  NumpyLegacyRandom random(1);
  std::vector<int> seen(6, 0);
  for (int i = 0; i < 600; ++i) {
    const auto v = random.random_interval(5);
    REQUIRE(v <= 5);
    ++seen[v];
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n > 50; }));
  CHECK(random.random_interval(0) == 0);
}
