#include "segbench/transforms/rng.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <vector>

using segbench::Rng;

TEST_CASE("Rng: the same seed gives the same stream, another seed another", "[transforms]") {
  Rng a(7), b(7), c(8);
  std::vector<double> from_a, from_b, from_c;
  for (int i = 0; i < 20; ++i) {
    from_a.push_back(a.uniform(0, 1));
    from_b.push_back(b.uniform(0, 1));
    from_c.push_back(c.uniform(0, 1));
  }
  REQUIRE(from_a == from_b);
  REQUIRE(from_a != from_c);
}

TEST_CASE("Rng: randrange covers [0, n) only and randrange(0) is 0", "[transforms]") {
  Rng rng(1);
  REQUIRE(rng.randrange(0) == 0);
  REQUIRE(rng.randrange(-3) == 0);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = rng.randrange(5);
    REQUIRE(v >= 0);
    REQUIRE(v < 5);
    seen.insert(v);
  }
  REQUIRE(seen == std::set<std::int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("Rng: uniform, bernoulli and normal have the right moments", "[transforms]") {
  Rng rng(42);
  const int n = 20000;
  double sum_u = 0, sum_n = 0, sum_n2 = 0;
  int hits = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform(0.7, 1.3);
    REQUIRE(u >= 0.7);
    REQUIRE(u < 1.3);
    sum_u += u;
    hits += rng.bernoulli(0.25) ? 1 : 0;
    const double z = rng.normal();
    sum_n += z;
    sum_n2 += z * z;
  }
  REQUIRE(sum_u / n == Approx(1.0).margin(0.01));
  REQUIRE(static_cast<double>(hits) / n == Approx(0.25).margin(0.015));
  REQUIRE(sum_n / n == Approx(0.0).margin(0.03));
  REQUIRE(sum_n2 / n == Approx(1.0).margin(0.04));
  Rng never(3);
  for (int i = 0; i < 100; ++i) REQUIRE_FALSE(never.bernoulli(0.0));
}

TEST_CASE("derive_seed: depends on every part and on their order", "[transforms]") {
  using segbench::derive_seed;
  REQUIRE(derive_seed({1, 2, 3}) == derive_seed({1, 2, 3}));
  REQUIRE(derive_seed({1, 2, 3}) != derive_seed({1, 2, 4}));
  REQUIRE(derive_seed({1, 2, 3}) != derive_seed({3, 2, 1}));
  REQUIRE(derive_seed({0, 0}) != derive_seed({0}));
}
