#include "segbench/data/kits19_dataset.hpp"

#include "segbench/data/npy_tensor.hpp"
#include "segbench/data/sample_cache.hpp"
#include "segbench/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace segbench {

namespace {

void check_volume(const at::Tensor& tensor, at::ScalarType expected_dtype, const char* role,
                  const CaseFiles& files, const std::filesystem::path& path) {
  SEGBENCH_CHECK(tensor.scalar_type() == expected_dtype, DataError,
                 "{}: {} {} has dtype {}, expected {}", files.case_id, role, path.string(),
                 numpy_dtype_name(tensor.scalar_type()), numpy_dtype_name(expected_dtype));
  SEGBENCH_CHECK(tensor.dim() == 4 && tensor.size(0) == 1, DataError,
                 "{}: {} {} has shape [{}], expected (1, D, H, W)", files.case_id, role,
                 path.string(), fmt::join(tensor.sizes(), ", "));
}

}  // namespace

Sample load_kits19_case(const CaseFiles& files) {
  Sample sample{read_npy_tensor(files.image), read_npy_tensor(files.label), files.case_id};
  check_volume(sample.image, at::kFloat, "image", files, files.image);
  require_finite(sample.image, files.image, "the image");
  check_volume(sample.label, at::kByte, "label", files, files.label);
  SEGBENCH_CHECK(sample.image.sizes() == sample.label.sizes(), DataError,
                 "{}: image {} has shape [{}] but label {} has shape [{}]", files.case_id,
                 files.image.string(), fmt::join(sample.image.sizes(), ", "), files.label.string(),
                 fmt::join(sample.label.sizes(), ", "));
  return sample;
}

Kits19Dataset::Kits19Dataset(std::vector<CaseFiles> cases, bool cache_in_memory)
    : cases_(std::move(cases)),
      cache_(cache_in_memory ? std::make_unique<SampleCache>(cases_.size()) : nullptr) {}

Kits19Dataset::~Kits19Dataset() = default;
Kits19Dataset::Kits19Dataset(Kits19Dataset&&) noexcept = default;
Kits19Dataset& Kits19Dataset::operator=(Kits19Dataset&&) noexcept = default;

const CaseFiles& Kits19Dataset::files(std::size_t i) const {
  SEGBENCH_CHECK(i < cases_.size(), DataError, "Kits19Dataset: index {} out of range (size {})", i,
                 cases_.size());
  return cases_[i];
}

std::string Kits19Dataset::case_id(std::size_t i) const {
  return files(i).case_id;
}

Sample Kits19Dataset::get(std::size_t i) const {
  const CaseFiles& case_files = files(i);
  if (!cache_) return load_kits19_case(case_files);
  return cache_->get(i, [&] { return load_kits19_case(case_files); });
}

}  // namespace segbench
