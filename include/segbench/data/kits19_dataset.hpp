// Preprocessed KiTS19 cases (case_XXXXX_x.npy / _y.npy) as a Dataset (tensor tier).
#pragma once

#include "segbench/concepts/dataset.hpp"
#include "segbench/data/kits19_split.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace segbench {

class SampleCache;

class Kits19Dataset {
 public:
  /// With cache_in_memory each case is read once, on first get(), and kept. get() may be
  /// called from several threads at once.
  explicit Kits19Dataset(std::vector<CaseFiles> cases, bool cache_in_memory = false);
  ~Kits19Dataset();
  Kits19Dataset(Kits19Dataset&&) noexcept;
  Kits19Dataset& operator=(Kits19Dataset&&) noexcept;

  std::size_t size() const { return cases_.size(); }

  /// image float32 (1, D, H, W), label uint8 (1, D, H, W). Throws DataError naming the files
  /// when a dtype, rank, channel count or the image/label shapes disagree. Cached tensors
  /// are shared with the caller: transform them out of place.
  Sample get(std::size_t i) const;

  std::string case_id(std::size_t i) const;
  const CaseFiles& files(std::size_t i) const;

 private:
  std::vector<CaseFiles> cases_;
  std::unique_ptr<SampleCache> cache_;  // null when not caching
};

static_assert(Dataset<Kits19Dataset>);

/// Reads and validates one case (what Kits19Dataset::get does without the cache).
Sample load_kits19_case(const CaseFiles& files);

}  // namespace segbench
