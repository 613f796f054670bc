// Which dataset indices a rank visits in an epoch (DistributedSampler semantics, with our
// own deterministic shuffle). No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace segbench {

class EpochSampler {
 public:
  /// With drop_last the dataset is first cut to a multiple of world (every rank gets
  /// dataset_size / world samples) and each rank's share to whole batches; without it the
  /// permutation is padded by wrapping around so that every rank gets the same count, and
  /// the last batch may be short.
  EpochSampler(std::size_t dataset_size, std::uint64_t seed, int rank = 0, int world = 1,
               bool shuffle = true, bool drop_last = true, std::size_t batch_size = 1);

  /// This rank's indices for `epoch`: a permutation drawn from (seed, epoch), identical on
  /// all ranks, of which rank r takes positions r, r + world, ... (disjoint across ranks).
  std::vector<std::size_t> indices(std::int64_t epoch) const;

  std::size_t batches_per_epoch() const;
  /// Samples per epoch on this rank (= indices(epoch).size()).
  std::size_t samples_per_epoch() const;

  std::size_t dataset_size() const { return dataset_size_; }
  std::size_t batch_size() const { return batch_size_; }
  int rank() const { return rank_; }
  int world() const { return world_; }

 private:
  std::size_t dataset_size_;
  std::uint64_t seed_;
  int rank_;
  int world_;
  bool shuffle_;
  bool drop_last_;
  std::size_t batch_size_;
};

}  // namespace segbench
