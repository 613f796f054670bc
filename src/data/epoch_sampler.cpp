#include "segbench/data/epoch_sampler.hpp"

#include "segbench/error.hpp"
#include "segbench/transforms/rng.hpp"

#include <numeric>
#include <utility>

namespace segbench {

EpochSampler::EpochSampler(std::size_t dataset_size, std::uint64_t seed, int rank, int world,
                           bool shuffle, bool drop_last, std::size_t batch_size)
    : dataset_size_(dataset_size),
      seed_(seed),
      rank_(rank),
      world_(world),
      shuffle_(shuffle),
      drop_last_(drop_last),
      batch_size_(batch_size) {
  SEGBENCH_CHECK(world >= 1 && rank >= 0 && rank < world, ConfigError,
                 "EpochSampler: rank {} is not in [0, world {})", rank, world);
  SEGBENCH_CHECK(batch_size >= 1, ConfigError, "EpochSampler: batch_size must be >= 1, got {}",
                 batch_size);
  SEGBENCH_CHECK(batches_per_epoch() >= 1, ConfigError,
                 "EpochSampler: {} samples over {} rank(s) with batch_size {} and drop_last={} "
                 "give no batch on rank {}",
                 dataset_size, world, batch_size, drop_last, rank);
}

std::size_t EpochSampler::samples_per_epoch() const {
  const auto world = static_cast<std::size_t>(world_);
  if (drop_last_) {
    const std::size_t per_rank = dataset_size_ / world;
    return per_rank - per_rank % batch_size_;
  }
  return (dataset_size_ + world - 1) / world;
}

std::size_t EpochSampler::batches_per_epoch() const {
  const std::size_t samples = samples_per_epoch();
  return drop_last_ ? samples / batch_size_ : (samples + batch_size_ - 1) / batch_size_;
}

std::vector<std::size_t> EpochSampler::indices(std::int64_t epoch) const {
  std::vector<std::size_t> order(dataset_size_);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (shuffle_) {
    Rng rng(derive_seed({seed_, static_cast<std::uint64_t>(epoch)}));
    for (std::size_t i = order.size(); i > 1; --i)  // Fisher-Yates
      std::swap(order[i - 1],
                order[static_cast<std::size_t>(rng.randrange(static_cast<std::int64_t>(i)))]);
  }

  const auto world = static_cast<std::size_t>(world_);
  const std::size_t per_rank =
      drop_last_ ? dataset_size_ / world : (dataset_size_ + world - 1) / world;
  std::vector<std::size_t> share;
  share.reserve(per_rank);
  for (std::size_t k = 0; k < per_rank; ++k)
    share.push_back(order[(k * world + static_cast<std::size_t>(rank_)) % order.size()]);
  share.resize(samples_per_epoch());
  return share;
}

}  // namespace segbench
