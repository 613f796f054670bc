// The prefetching batch loader (tensor tier): worker threads load and transform samples in
// the sampler's order; batches come out in that order whatever the number of workers.
// Layouts: image_NCDHW float32, label_N1DHW uint8.
#pragma once

#include "segbench/concepts/dataset.hpp"
#include "segbench/data/epoch_sampler.hpp"
#include "segbench/transforms/compose.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace segbench {

struct Batch {
  at::Tensor image_NCDHW;
  at::Tensor label_N1DHW;
  std::vector<std::string> case_ids;
};

/// Stacks samples of equal shapes into a batch; DataError names the first two cases whose
/// shapes differ.
Batch stack_samples(const std::vector<Sample>& samples);

namespace detail {

/// The non-template machinery of PrefetchLoader, compiled once in loader.cpp.
class LoaderEngine {
 public:
  using GetFn = std::function<Sample(std::size_t)>;
  using CaseIdFn = std::function<std::string(std::size_t)>;

  LoaderEngine(GetFn get, CaseIdFn case_id, std::size_t dataset_size, EpochSampler sampler,
               std::size_t batch_size, TransformFn transform, std::uint64_t seed, int num_workers,
               std::size_t prefetch_batches);
  ~LoaderEngine();
  LoaderEngine(const LoaderEngine&) = delete;
  LoaderEngine& operator=(const LoaderEngine&) = delete;

  void start_epoch(std::int64_t epoch, std::size_t first_batch = 0);
  std::optional<Batch> next();
  std::size_t batches_per_epoch() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace detail

/// Loads batches of `dataset` (which must outlive the loader) in the order of `sampler`.
/// Each sample is transformed with an Rng seeded from (seed, sampler rank, epoch, position in
/// the epoch), so batches are identical for any num_workers. num_workers == 0 loads in the
/// calling thread; otherwise at most `prefetch_batches` batches are loading or waiting.
/// A failure in a worker is rethrown from next() as DataError naming the case; the loader
/// then goes on with the following batch. Destruction stops and joins the workers.
template <Dataset D>
class PrefetchLoader {
 public:
  PrefetchLoader(const D& dataset, EpochSampler sampler, std::size_t batch_size,
                 std::function<Sample(Sample, Rng&)> transform, std::uint64_t seed, int num_workers,
                 std::size_t prefetch_batches = 4)
      : engine_([&dataset](std::size_t i) { return dataset.get(i); },
                [&dataset](std::size_t i) { return std::string(dataset.case_id(i)); },
                dataset.size(), std::move(sampler), batch_size, std::move(transform), seed,
                num_workers, prefetch_batches) {}

  /// Starts (or restarts, abandoning the current one) an epoch.
  /// Starts `epoch` at its batch `first_batch` (a resumed run skips the batches it trained;
  /// every sample's augmentation depends on (seed, epoch, position) only, so the rest are the
  /// batches the uninterrupted run saw).
  void start_epoch(std::int64_t epoch, std::size_t first_batch = 0) {
    engine_.start_epoch(epoch, first_batch);
  }
  /// The next batch of the epoch, or nullopt at its end.
  std::optional<Batch> next() { return engine_.next(); }
  std::size_t batches_per_epoch() const { return engine_.batches_per_epoch(); }

 private:
  detail::LoaderEngine engine_;
};

}  // namespace segbench
