#include "segbench/transforms/rng.hpp"

#include <cmath>
#include <limits>
#include <numbers>

namespace segbench {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t derive_seed(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t state = 0x6A09E667F3BCC909ULL;
  for (std::uint64_t part : parts) state = splitmix64(state ^ splitmix64(part));
  return state;
}

double Rng::uniform(double lo, double hi) {
  // 53 random bits → [0, 1) with full double resolution.
  const double unit = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * unit;
}

std::int64_t Rng::randrange(std::int64_t n) {
  if (n <= 0) return 0;
  const auto range = static_cast<std::uint64_t>(n);
  // Rejection sampling: accept only draws below the largest multiple of `range`.
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t draw = engine_();
  while (draw >= limit) draw = engine_();
  return static_cast<std::int64_t>(draw % range);
}

bool Rng::bernoulli(double p) {
  return uniform(0.0, 1.0) < p;
}

double Rng::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  const double u1 = 1.0 - uniform(0.0, 1.0);
  const double u2 = uniform(0.0, 1.0);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

}  // namespace segbench
