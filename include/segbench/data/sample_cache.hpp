// Keeps each sample of a dataset after its first load (tensor tier). Thread-safe: one lock per
// index, so different samples load in parallel and one sample is never loaded twice.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "segbench/concepts/dataset.hpp"

namespace segbench {

class SampleCache {
 public:
  explicit SampleCache(std::size_t size);
  ~SampleCache();

  /// The cached sample i, loaded with `load` on first use. Cached tensors are shared with
  /// the caller: transform them out of place.
  Sample get(std::size_t i, const std::function<Sample()>& load) const;

 private:
  struct Slot;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace segbench
