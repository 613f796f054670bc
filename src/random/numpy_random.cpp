#include "segbench/random/numpy_random.hpp"

#include <numeric>

namespace segbench {

std::uint32_t NumpyLegacyRandom::random_interval(std::uint32_t max) {
  if (max == 0) return 0;
  std::uint32_t mask = max;
  for (unsigned shift = 1; shift <= 16; shift <<= 1) mask |= mask >> shift;
  std::uint32_t value = 0;
  do {
    value = static_cast<std::uint32_t>(engine_()) & mask;
  } while (value > max);
  return value;
}

std::vector<std::size_t> NumpyLegacyRandom::permutation(std::size_t n) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  shuffle(order);
  return order;
}

}  // namespace segbench
