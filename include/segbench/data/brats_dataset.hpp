// Preprocessed BraTS volumes (BRATS_XXX_x.npy / _y.npy, fidelity §3.2) as a Dataset. Tensor tier.
// Each sample is one whole volume; 2-D batches are cut from it by the loader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "segbench/concepts/dataset.hpp"

namespace segbench {

class SampleCache;

class BratsDataset {
 public:
  /// `case_ids` name files in `dir` ("BRATS_001" → BRATS_001_x.npy, BRATS_001_y.npy).
  /// `channels` is the expected C of each image (len(modality) = 4 for Task01). With
  /// cache_in_memory each case is read once, on first get(), and kept; get() may be called
  /// from several threads at once.
  BratsDataset(std::filesystem::path dir, std::vector<std::string> case_ids,
               bool cache_in_memory = false, std::int64_t channels = 4);
  ~BratsDataset();
  BratsDataset(BratsDataset&&) noexcept;
  BratsDataset& operator=(BratsDataset&&) noexcept;

  std::size_t size() const { return case_ids_.size(); }

  /// image float32 (C, D, H, W), label uint8 (1, D, H, W). Throws DataError naming the file
  /// for a wrong dtype, rank or channel count, or image/label (D, H, W) that differ. Cached
  /// tensors are shared with the caller: transform them out of place.
  Sample get(std::size_t i) const;

  std::string case_id(std::size_t i) const;
  std::filesystem::path image_path(std::size_t i) const;
  std::filesystem::path label_path(std::size_t i) const;

 private:
  std::filesystem::path dir_;
  std::vector<std::string> case_ids_;
  std::int64_t channels_;
  std::unique_ptr<SampleCache> cache_;  // null when not caching
};

static_assert(Dataset<BratsDataset>);

/// Reads and validates one case (what BratsDataset::get does without the cache).
Sample load_brats_case(const std::filesystem::path& dir, const std::string& case_id,
                       std::int64_t channels = 4);

}  // namespace segbench
