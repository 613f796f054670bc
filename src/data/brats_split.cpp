#include "segbench/data/brats_split.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "segbench/error.hpp"
#include "segbench/random/numpy_random.hpp"

namespace segbench {

namespace fs = std::filesystem;

std::vector<std::size_t> kfold_validation_indices(std::size_t n, int n_folds, int fold,
                                                  std::uint32_t seed) {
  SEGBENCH_CHECK(n_folds >= 2, ConfigError,
                 "KFold: expected at least 2 folds (sklearn's limit), found n_folds = {}", n_folds);
  SEGBENCH_CHECK(static_cast<std::size_t>(n_folds) <= n, ConfigError,
                 "KFold: cannot split {} case(s) into {} folds (expected n_folds <= cases)", n,
                 n_folds);
  SEGBENCH_CHECK(fold >= 0 && fold < n_folds, ConfigError,
                 "KFold: fold {} out of range (expected 0..{})", fold, n_folds - 1);
  const auto k = static_cast<std::size_t>(n_folds);
  const auto f = static_cast<std::size_t>(fold);
  const std::size_t base = n / k, extra = n % k;
  const std::size_t start = f * base + std::min(f, extra);
  const std::size_t size = base + (f < extra ? 1 : 0);

  NumpyLegacyRandom random(seed);
  const std::vector<std::size_t> order = random.permutation(n);
  std::vector<std::size_t> block(order.begin() + static_cast<std::ptrdiff_t>(start),
                                 order.begin() + static_cast<std::ptrdiff_t>(start + size));
  std::sort(block.begin(), block.end());
  return block;
}

BratsFold kfold_split(std::vector<std::string> sorted_case_ids, int n_folds, int fold,
                      std::uint32_t seed) {
  const std::vector<std::size_t> held_out =
      kfold_validation_indices(sorted_case_ids.size(), n_folds, fold, seed);
  std::vector<bool> in_validation(sorted_case_ids.size(), false);
  for (std::size_t i : held_out) in_validation[i] = true;
  BratsFold split;
  for (std::size_t i = 0; i < sorted_case_ids.size(); ++i)
    (in_validation[i] ? split.validation : split.train).push_back(std::move(sorted_case_ids[i]));
  return split;
}

std::vector<std::string> list_preprocessed_brats_cases(const fs::path& dir) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_directory(dir, ec), DataError,
                 "{}: preprocessed BraTS directory does not exist or is not a directory",
                 dir.string());
  std::vector<std::string> names;  // file names, so the order is the reference's sorted glob
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name.ends_with("_x.npy")) names.push_back(name);
  }
  SEGBENCH_CHECK(!names.empty(), DataError,
                 "{}: no *_x.npy files (expected the output of segbench-data brats-preprocess)",
                 dir.string());
  std::sort(names.begin(), names.end());

  std::vector<std::string> ids, missing;
  for (const std::string& name : names) {
    ids.push_back(name.substr(0, name.size() - 6));
    if (!fs::is_regular_file(dir / (ids.back() + "_y.npy"), ec))
      missing.push_back(ids.back() + "_y.npy");
  }
  SEGBENCH_CHECK(missing.empty(), DataError, "{}: {} label file(s) missing: {}", dir.string(),
                 missing.size(), fmt::join(missing, ", "));
  return ids;
}

}  // namespace segbench
