#include "segbench/data/epoch_sampler.hpp"

#include "segbench/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

using namespace segbench;

namespace {

std::vector<std::size_t> sorted(std::vector<std::size_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::size_t> iota_vector(std::size_t n) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), std::size_t{0});
  return v;
}

}  // namespace

TEST_CASE("EpochSampler: one rank visits every index once, reshuffled per epoch", "[data]") {
  const EpochSampler sampler(168, 1234, 0, 1, true, true, 2);
  REQUIRE(sampler.batches_per_epoch() == 84);
  const auto e0 = sampler.indices(0);
  const auto e1 = sampler.indices(1);
  REQUIRE(sorted(e0) == iota_vector(168));
  REQUIRE(sorted(e1) == iota_vector(168));
  REQUIRE(e0 != e1);
  REQUIRE(e0 != iota_vector(168));
  REQUIRE(sampler.indices(0) == e0);                                     // same (seed, epoch)
  REQUIRE(EpochSampler(168, 99, 0, 1, true, true, 2).indices(0) != e0);  // another seed
}

TEST_CASE("EpochSampler: ranks get disjoint equal shares of one permutation", "[data]") {
  const std::size_t n = 11;
  std::set<std::size_t> all;
  std::vector<std::vector<std::size_t>> shares;
  for (int rank = 0; rank < 3; ++rank) {
    const EpochSampler sampler(n, 7, rank, 3, true, true, 1);
    shares.push_back(sampler.indices(5));
    REQUIRE(shares.back().size() == 3);  // floor(11 / 3)
    REQUIRE(sampler.batches_per_epoch() == 3);
    all.insert(shares.back().begin(), shares.back().end());
  }
  REQUIRE(all.size() == 9);  // disjoint
  // Interleaved positions of the same permutation: rank r holds positions r, r + 3, ...
  const auto world1 = EpochSampler(n, 7, 0, 1, true, false, 1).indices(5);
  for (int rank = 0; rank < 3; ++rank)
    for (std::size_t k = 0; k < 3; ++k) REQUIRE(shares[rank][k] == world1[k * 3 + rank]);
}

TEST_CASE("EpochSampler: drop_last trims to whole batches; otherwise pads by wrapping", "[data]") {
  const EpochSampler trimmed(11, 0, 1, 2, false, true, 2);  // 5 per rank → 4 in 2 batches
  REQUIRE(trimmed.indices(0) == std::vector<std::size_t>{1, 3, 5, 7});
  REQUIRE(trimmed.batches_per_epoch() == 2);

  const EpochSampler padded(10, 0, 2, 3, false, false, 3);  // 4 per rank, 12 in total
  REQUIRE(padded.indices(0) == std::vector<std::size_t>{2, 5, 8, 1});
  REQUIRE(padded.batches_per_epoch() == 2);

  const EpochSampler in_order(5, 0, 0, 1, false, true, 1);
  REQUIRE(in_order.indices(3) == iota_vector(5));
}

TEST_CASE("EpochSampler: bad rank, batch size or too few samples are ConfigErrors", "[data]") {
  REQUIRE_THROWS_AS(EpochSampler(10, 0, 2, 2), ConfigError);
  REQUIRE_THROWS_WITH(EpochSampler(10, 0, 2, 2), Catch::Contains("rank 2"));
  REQUIRE_THROWS_WITH(EpochSampler(10, 0, 0, 1, true, true, 0), Catch::Contains("batch_size"));
  REQUIRE_THROWS_WITH(EpochSampler(3, 0, 0, 2, true, true, 2), Catch::Contains("give no batch"));
}

TEST_CASE("EpochSampler: disjoint and complete for world sizes 1-8 over several epochs", "[data]") {
  for (int world = 1; world <= 8; ++world) {
    const std::size_t n = 2520;  // every world size 1..8 times batch 3 divides it
    std::set<std::vector<std::size_t>> epoch_orders;
    for (std::int64_t epoch = 0; epoch < 4; ++epoch) {
      std::vector<int> seen(n, 0);
      std::vector<std::size_t> rank0_order;
      for (int rank = 0; rank < world; ++rank) {
        const EpochSampler sampler(n, 11, rank, world, true, true, 3);
        const auto share = sampler.indices(epoch);
        REQUIRE(share.size() == n / static_cast<std::size_t>(world));
        for (std::size_t i : share) ++seen.at(i);
        if (rank == 0) rank0_order = share;
      }
      INFO("world " << world << " epoch " << epoch);
      REQUIRE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
      epoch_orders.insert(rank0_order);
    }
    CHECK(epoch_orders.size() == 4);  // a new order every epoch
  }
}
