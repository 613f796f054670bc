#include "segbench/data/brats_dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "segbench/data/npy_tensor.hpp"
#include "segbench/data/sample_cache.hpp"
#include "segbench/error.hpp"

namespace segbench {

namespace fs = std::filesystem;

Sample load_brats_case(const fs::path& dir, const std::string& case_id, std::int64_t channels) {
  const fs::path image_path = dir / (case_id + "_x.npy");
  const fs::path label_path = dir / (case_id + "_y.npy");
  Sample sample{read_npy_tensor(image_path), read_npy_tensor(label_path), case_id};
  const at::Tensor& image = sample.image;
  const at::Tensor& label = sample.label;
  require_finite(image, image_path, "the image");
  SEGBENCH_CHECK(image.scalar_type() == at::kFloat, DataError,
                 "{}: image has dtype {}, expected float32", image_path.string(),
                 numpy_dtype_name(image.scalar_type()));
  SEGBENCH_CHECK(image.dim() == 4 && image.size(0) == channels, DataError,
                 "{}: image has shape [{}], expected ({}, D, H, W)", image_path.string(),
                 fmt::join(image.sizes(), ", "), channels);
  SEGBENCH_CHECK(label.scalar_type() == at::kByte, DataError,
                 "{}: label has dtype {}, expected uint8", label_path.string(),
                 numpy_dtype_name(label.scalar_type()));
  SEGBENCH_CHECK(label.dim() == 4 && label.size(0) == 1, DataError,
                 "{}: label has shape [{}], expected (1, D, H, W)", label_path.string(),
                 fmt::join(label.sizes(), ", "));
  SEGBENCH_CHECK(image.sizes().slice(1) == label.sizes().slice(1), DataError,
                 "{}: label shape [{}] does not match image {} of shape [{}] in (D, H, W)",
                 label_path.string(), fmt::join(label.sizes(), ", "), image_path.string(),
                 fmt::join(image.sizes(), ", "));
  return sample;
}

BratsDataset::BratsDataset(fs::path dir, std::vector<std::string> case_ids, bool cache_in_memory,
                           std::int64_t channels)
    : dir_(std::move(dir)),
      case_ids_(std::move(case_ids)),
      channels_(channels),
      cache_(cache_in_memory ? std::make_unique<SampleCache>(case_ids_.size()) : nullptr) {
  SEGBENCH_CHECK(channels_ >= 1, ConfigError, "BratsDataset: expected channels >= 1, found {}",
                 channels_);
}

BratsDataset::~BratsDataset() = default;
BratsDataset::BratsDataset(BratsDataset&&) noexcept = default;
BratsDataset& BratsDataset::operator=(BratsDataset&&) noexcept = default;

std::string BratsDataset::case_id(std::size_t i) const {
  SEGBENCH_CHECK(i < case_ids_.size(), DataError,
                 "BratsDataset over {}: index {} out of range (size {})", dir_.string(), i,
                 case_ids_.size());
  return case_ids_[i];
}

fs::path BratsDataset::image_path(std::size_t i) const {
  return dir_ / (case_id(i) + "_x.npy");
}
fs::path BratsDataset::label_path(std::size_t i) const {
  return dir_ / (case_id(i) + "_y.npy");
}

Sample BratsDataset::get(std::size_t i) const {
  const std::string id = case_id(i);
  if (!cache_) return load_brats_case(dir_, id, channels_);
  return cache_->get(i, [&] { return load_brats_case(dir_, id, channels_); });
}

}  // namespace segbench
