// The explicit random source every random transform draws from. No torch here.
// All draws are implemented on top of the raw mt19937_64 stream (not std::*_distribution,
// whose algorithms differ between standard libraries), so a seed gives the same values
// with any compiler.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>

namespace segbench {

/// Mixes several integers into one 64-bit seed (splitmix64 over the sequence).
/// Used to give each (seed, epoch, position) its own independent stream.
std::uint64_t derive_seed(std::initializer_list<std::uint64_t> parts);

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  /// Uniform in [lo, hi).
  double uniform(double lo, double hi);
  /// Uniform integer in [0, n); 0 when n <= 0 (the reference's randrange(0) quirk:
  /// for size == patch the crop start is 0).
  std::int64_t randrange(std::int64_t n);
  /// true with probability p (uniform() < p, like Python's `random.random() < p`).
  bool bernoulli(double p);
  /// Standard normal N(0, 1).
  double normal();
  /// A raw 64-bit draw, e.g. to seed a child generator.
  std::uint64_t next_u64() { return engine_(); }

 private:
  std::mt19937_64 engine_;
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace segbench
