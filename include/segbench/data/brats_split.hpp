// The nnU-Net BraTS train/validation split (fidelity §3.3): scikit-learn's
// KFold(n_splits, shuffle=True, random_state=12345) over the sorted *_x.npy list. No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segbench {

struct BratsFold {
  std::vector<std::string> train;       ///< in the order given (sorted in, sorted out)
  std::vector<std::string> validation;  ///< likewise
};

/// 0-based indices of fold `fold`'s validation block, ascending: numpy's legacy
/// RandomState(seed).permutation(n), cut into n_folds blocks of which the first n % n_folds
/// hold n / n_folds + 1 items. Throws ConfigError unless 2 <= n_folds <= n and
/// 0 <= fold < n_folds (sklearn's limits).
std::vector<std::size_t> kfold_validation_indices(std::size_t n, int n_folds, int fold,
                                                  std::uint32_t seed = 12345);

/// Splits the case ids as sklearn's KFold.split(...)[fold] would: both lists keep the input
/// order. Pass the ids sorted by file name, as the reference does.
BratsFold kfold_split(std::vector<std::string> sorted_case_ids, int n_folds, int fold,
                      std::uint32_t seed = 12345);

/// The case ids ("BRATS_001") of every `<id>_x.npy` in `dir`, sorted by file name. Throws
/// DataError naming the folder when there is none, or naming each `<id>_y.npy` that is missing.
std::vector<std::string> list_preprocessed_brats_cases(const std::filesystem::path& dir);

}  // namespace segbench
