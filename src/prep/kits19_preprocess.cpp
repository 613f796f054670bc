#include "segbench/prep/kits19_preprocess.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/index_select.h>
#include <ATen/ops/upsample_nearest3d.h>
#include <ATen/ops/upsample_trilinear3d.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>

#include "segbench/error.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/finite_values.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "segbench/prep/nifti_header.hpp"
#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

std::string shape_text(const std::vector<std::size_t>& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

std::string shape_text(at::IntArrayRef shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

/// numpy mode="edge" along one axis: `before` copies of the first slice, `after` of the last.
at::Tensor pad_edge(const at::Tensor& t, std::int64_t axis, std::int64_t before,
                    std::int64_t after) {
  if (before == 0 && after == 0) return t;
  const std::int64_t size = t.size(axis);
  const std::int64_t padded = size + before + after;
  at::Tensor index = at::empty({padded}, at::TensorOptions().dtype(at::kLong));
  auto* idx = index.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < padded; ++i)
    idx[i] = std::clamp<std::int64_t>(i - before, 0, size - 1);
  return at::index_select(t, axis, index);
}

/// Python's int() of the text after the first '_' up to the next one ("case_00042" → 42).
int case_id_of(const std::string& name, const fs::path& dir) {
  const auto first = name.find('_');
  const auto second = first == std::string::npos ? std::string::npos : name.find('_', first + 1);
  const std::string digits =
      first == std::string::npos ? std::string() : name.substr(first + 1, second - first - 1);
  const bool numeric =
      !digits.empty() && digits.size() <= 9 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  SEGBENCH_CHECK(numeric, DataError,
                 "{}: entry '{}' contains \"case\" but has no numeric id after the first '_' "
                 "(expected a name like case_00042)",
                 dir.string(), name);
  return std::stoi(digits);
}

}  // namespace

std::array<std::int64_t, 3> resampled_shape(const std::array<double, 3>& spacing,
                                            const std::vector<std::size_t>& shape,
                                            const std::array<double, 3>& target_spacing) {
  std::array<std::int64_t, 3> out{};
  for (std::size_t a = 0; a < 3; ++a) {
    out[a] = spacing == target_spacing ? static_cast<std::int64_t>(shape[a])
                                       : static_cast<std::int64_t>(spacing[a] / target_spacing[a] *
                                                                   static_cast<double>(shape[a]));
  }
  return out;
}

std::uint64_t kits19_job_bytes(const std::vector<std::size_t>& raw_shape,
                               const std::array<double, 3>& spacing,
                               const Kits19PreprocessOptions& options) {
  std::uint64_t raw = 1, out = 1;
  const auto resampled = resampled_shape(spacing, raw_shape, options.target_spacing);
  for (std::size_t a = 0; a < 3; ++a) {
    raw *= raw_shape[a];
    out *= static_cast<std::uint64_t>(std::max<std::int64_t>(resampled[a], options.min_shape));
  }
  return raw * kKits19BytesPerRawVoxel + out * kKits19BytesPerOutputVoxel + kKits19JobBaseBytes;
}

PreprocessedCase preprocess_kits19_case(const io::NiftiVolume& image, const io::NiftiVolume& label,
                                        const Kits19PreprocessOptions& options,
                                        const std::string& case_name) {
  SEGBENCH_CHECK(image.shape.size() == 3, DataError, "{}: expected a 3-D image, found shape {}",
                 case_name, shape_text(image.shape));
  SEGBENCH_CHECK(label.shape == image.shape, DataError,
                 "{}: label shape {} does not match image shape {}", case_name,
                 shape_text(label.shape), shape_text(image.shape));
  for (std::size_t a = 0; a < 3; ++a) {
    SEGBENCH_CHECK(std::abs(label.spacing[a] - image.spacing[a]) <= 1e-5 * image.spacing[a],
                   DataError,
                   "{}: label spacing ({}, {}, {}) does not match image spacing ({}, {}, {})",
                   case_name, label.spacing[0], label.spacing[1], label.spacing[2],
                   image.spacing[0], image.spacing[1], image.spacing[2]);
    SEGBENCH_CHECK(image.spacing[a] > 0 && std::isfinite(image.spacing[a]), DataError,
                   "{}: expected positive spacing, found {} on axis {}", case_name,
                   image.spacing[a], a);
  }
  SEGBENCH_CHECK(image.data.size() == image.numel() && label.data.size() == label.numel(),
                 DataError, "{}: voxel count does not match the shape {}", case_name,
                 shape_text(image.shape));

  const std::vector<std::int64_t> shape5{1, 1, static_cast<std::int64_t>(image.shape[0]),
                                         static_cast<std::int64_t>(image.shape[1]),
                                         static_cast<std::int64_t>(image.shape[2])};
  at::Tensor image_NCDHW = at::from_blob(const_cast<float*>(image.data.data()), shape5,
                                         at::TensorOptions().dtype(at::kFloat))
                               .clone();
  at::Tensor label_NCDHW = at::empty(shape5, at::TensorOptions().dtype(at::kByte));
  auto* label_out = label_NCDHW.data_ptr<std::uint8_t>();
  for (std::size_t i = 0; i < label.data.size(); ++i) {
    const float value = label.data[i];
    SEGBENCH_CHECK(value >= 0.0f && value < 256.0f, DataError,
                   "{}: label value {} at flat index {} is outside [0, 255]", case_name, value, i);
    label_out[i] = static_cast<std::uint8_t>(value);  // truncation, as numpy astype(uint8)
  }

  if (image.spacing != options.target_spacing) {
    const auto new_shape = resampled_shape(image.spacing, image.shape, options.target_spacing);
    for (std::size_t a = 0; a < 3; ++a) {
      SEGBENCH_CHECK(new_shape[a] >= 1, DataError,
                     "{}: resampling shape {} at spacing ({}, {}, {}) gives an empty axis {}",
                     case_name, shape_text(image.shape), image.spacing[0], image.spacing[1],
                     image.spacing[2], a);
    }
    const std::vector<std::int64_t> size(new_shape.begin(), new_shape.end());
    image_NCDHW = at::upsample_trilinear3d(image_NCDHW, size, /*align_corners=*/true);
    label_NCDHW = at::upsample_nearest3d(label_NCDHW, size);
  }

  // Same float32 arithmetic as numpy's clip then (x - mean) / std on a float32 array.
  image_NCDHW = image_NCDHW.contiguous();
  float* values = image_NCDHW.data_ptr<float>();
  const auto count = image_NCDHW.numel();
  for (std::int64_t i = 0; i < count; ++i) {
    const float clipped = std::min(std::max(values[i], options.clip_min), options.clip_max);
    values[i] = (clipped - options.mean) / options.stddev;
  }

  at::Tensor image_CDHW = image_NCDHW.squeeze(0);
  at::Tensor label_CDHW = label_NCDHW.squeeze(0);
  for (std::int64_t axis = 1; axis <= 3; ++axis) {
    const std::int64_t missing =
        std::max<std::int64_t>(0, options.min_shape - image_CDHW.size(axis));
    image_CDHW = pad_edge(image_CDHW, axis, missing / 2, missing - missing / 2);
    label_CDHW = pad_edge(label_CDHW, axis, missing / 2, missing - missing / 2);
  }
  return {image_CDHW.contiguous(), label_CDHW.contiguous()};
}

PreprocessReport preprocess_kits19_dir(const fs::path& raw_data_dir, const fs::path& results_dir,
                                       const Kits19PreprocessOptions& options,
                                       std::ostream& progress, int jobs) {
  SEGBENCH_CHECK(fs::is_directory(raw_data_dir), DataError, "{}: raw data directory does not exist",
                 raw_data_dir.string());
  std::vector<std::string> cases;
  for (const auto& entry : fs::directory_iterator(raw_data_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find("case") != std::string::npos) cases.push_back(name);
  }
  std::sort(cases.begin(), cases.end());
  SEGBENCH_CHECK(!cases.empty(), DataError,
                 "{}: expected case_XXXXX directories, found no entry containing \"case\"",
                 raw_data_dir.string());
  fs::create_directories(results_dir);

  // Each case's outcome in its slot, so the report and manifest keep the sorted case order
  // whatever the number of jobs.
  struct CaseOutcome {
    bool skipped = false;
  };
  std::vector<CaseOutcome> outcomes(cases.size());
  std::vector<int> ids(cases.size());
  for (std::size_t k = 0; k < cases.size(); ++k) ids[k] = case_id_of(cases[k], raw_data_dir);
  // Memory: a job holds the raw image and label as float, the image tensor, and the resampled
  // and padded outputs. The largest case decides how many jobs fit (estimate in the header).
  std::uint64_t largest = 0;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    if (ids[k] >= options.max_case_id) continue;
    try {
      const NiftiHeader h = read_nifti_header(raw_data_dir / cases[k] / "imaging.nii.gz");
      if (h.shape.size() != 3) continue;
      largest = std::max(largest, kits19_job_bytes(h.shape, h.spacing, options));
    } catch (const Error&) {
      // reported when the case is preprocessed
    }
  }
  const int job_count = cap_jobs_by_memory(resolve_jobs(jobs), largest, &progress);
  ProgressMeter meter(&progress, "kits19-preprocess", cases.size());
  for_each_index(cases.size(), job_count, [&](std::size_t k) {
    const std::string& name = cases[k];
    const int id = ids[k];
    if (id >= options.max_case_id) {
      outcomes[k].skipped = true;
      meter.finished(name, 0, fmt::format(": skipped (id {} >= {})", id, options.max_case_id));
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    const fs::path image_path = raw_data_dir / name / "imaging.nii.gz";
    // On the file: the reader (nifticlib) turns NaN/Inf into 0 without a word.
    if (const NonFiniteValues bad = find_non_finite_in_nifti(image_path); bad.any()) {
      throw DataError(fmt::format("{}: the image holds {}; preprocessing refuses NaN/Inf input",
                                  image_path.string(),
                                  describe_non_finite(bad, nifti_voxel_text(bad))));
    }
    const io::NiftiVolume image = io::read_nifti(image_path);
    const io::NiftiVolume label = io::read_nifti(raw_data_dir / name / "segmentation.nii.gz");
    const PreprocessedCase result = preprocess_kits19_case(image, label, options, name);

    const std::vector<std::size_t> out_shape(result.image.sizes().begin(),
                                             result.image.sizes().end());
    io::write_npy(results_dir / (name + "_x.npy"), io::NpyDtype::float32, out_shape,
                  result.image.data_ptr<float>());
    io::write_npy(results_dir / (name + "_y.npy"), io::NpyDtype::uint8, out_shape,
                  result.label.data_ptr<std::uint8_t>());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    const auto bytes = fs::file_size(image_path, ec);
    meter.finished(name, ec ? 0 : bytes,
                   fmt::format(": id {} raw {} spacing ({:g}, {:g}, {:g}) -> {} in {:.2f} s", id,
                               shape_text(image.shape), image.spacing[0], image.spacing[1],
                               image.spacing[2], shape_text(result.image.sizes()), seconds));
  });
  PreprocessReport report;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    if (outcomes[k].skipped) {
      report.skipped.push_back(cases[k]);
      continue;
    }
    report.written_files.push_back(cases[k] + "_x.npy");
    report.written_files.push_back(cases[k] + "_y.npy");
    ++report.cases_written;
  }
  report.manifest = default_manifest_path(results_dir);
  report.synthetic = fs::exists(raw_data_dir / kKits19SyntheticMarker);
  write_checksum_manifest(results_dir, report.written_files, report.manifest, report.synthetic,
                          resolve_jobs(jobs));
  fmt::print(progress, "wrote {} cases ({} files) and {}{}\n", report.cases_written,
             report.written_files.size(), report.manifest.string(),
             report.synthetic ? " (synthetic data: not the official KiTS19 data)" : "");
  return report;
}

}  // namespace segbench::prep
