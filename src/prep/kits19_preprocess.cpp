#include "segbench/prep/kits19_preprocess.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>

#include "segbench/error.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/finite_values.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "segbench/prep/nifti_header.hpp"
#include "segbench/prep/npy_header.hpp"
#include "segbench/prep/parallel_files.hpp"
#include "segbench/prep/preprocess_settings.hpp"
#include "segbench/prep/volume_resampling.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

template <class Shape>
std::string shape_text(const Shape& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
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

/// What decides the output bytes: a resumed run keeps earlier files only when this is unchanged.
std::string settings_json(const Kits19PreprocessOptions& options) {
  const nlohmann::ordered_json settings = {
      {"tool", "kits19-preprocess"},
      {"arithmetic", options.interpolation == InterpolationArithmetic::aten1 ? "aten1" : "aten2"},
      {"target_spacing", options.target_spacing},
      {"clip", {options.clip_min, options.clip_max}},
      {"mean", options.mean},
      {"stddev", options.stddev},
      {"min_shape", options.min_shape},
      {"max_case_id", options.max_case_id}};
  return settings.dump(2) + "\n";
}

/// Outputs are written atomically, so a pair that is there, complete, with the dtypes and the
/// shape the raw header implies, was finished by an earlier run with the same settings.
bool case_finished(const fs::path& case_dir, const fs::path& results_dir, const std::string& name,
                   const Kits19PreprocessOptions& options) {
  try {
    const NiftiHeader raw = read_nifti_header(case_dir / "imaging.nii.gz");
    if (raw.shape.size() != 3) return false;
    const auto resampled = resampled_shape(raw.spacing, raw.shape, options.target_spacing);
    std::vector<std::size_t> expected{1};
    for (std::size_t a = 0; a < 3; ++a)
      expected.push_back(static_cast<std::size_t>(std::max(resampled[a], options.min_shape)));
    return npy_file_matches(results_dir / (name + "_x.npy"), "<f4", expected) &&
           npy_file_matches(results_dir / (name + "_y.npy"), "|u1", expected);
  } catch (const Error&) {
    return false;  // missing or unreadable: preprocessed again
  }
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

  const Shape3 raw_shape{image.shape[0], image.shape[1], image.shape[2]};
  const auto first_bad_label = std::find_if(label.data.begin(), label.data.end(), [](float value) {
    return !(value >= 0.0f && value < 256.0f);
  });
  SEGBENCH_CHECK(first_bad_label == label.data.end(), DataError,
                 "{}: label value {} at flat index {} is outside [0, 255]", case_name,
                 first_bad_label == label.data.end() ? 0.0f : *first_bad_label,
                 first_bad_label - label.data.begin());
  PreprocessedCase out;
  out.image = xt::adapt(image.data, raw_shape);
  out.label = xt::cast<std::uint8_t>(xt::adapt(label.data, raw_shape));  // truncation, as numpy

  if (image.spacing != options.target_spacing) {
    const auto new_shape = resampled_shape(image.spacing, image.shape, options.target_spacing);
    for (std::size_t a = 0; a < 3; ++a) {
      SEGBENCH_CHECK(new_shape[a] >= 1, DataError,
                     "{}: resampling shape {} at spacing ({}, {}, {}) gives an empty axis {}",
                     case_name, shape_text(image.shape), image.spacing[0], image.spacing[1],
                     image.spacing[2], a);
    }
    const Shape3 size{static_cast<std::size_t>(new_shape[0]),
                      static_cast<std::size_t>(new_shape[1]),
                      static_cast<std::size_t>(new_shape[2])};
    out.image = resample_trilinear_align_corners(out.image, size, options.interpolation);
    out.label = resample_nearest_legacy(out.label, size);
  }

  // Same float32 arithmetic as numpy's clip then (x - mean) / std on a float32 array.
  out.image =
      (xt::clip(out.image, options.clip_min, options.clip_max) - options.mean) / options.stddev;

  Shape3 before{}, after{};
  for (std::size_t a = 0; a < 3; ++a) {
    const std::size_t size = out.image.shape()[a];
    const std::size_t wanted =
        static_cast<std::size_t>(std::max<std::int64_t>(options.min_shape, 0));
    const std::size_t missing = wanted > size ? wanted - size : 0;
    before[a] = missing / 2;
    after[a] = missing - missing / 2;
  }
  out.image = pad_edge(out.image, before, after);
  out.label = pad_edge(out.label, before, after);
  return out;
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
  // An old manifest would vouch for files this run replaces; it is written again at the end.
  const bool resuming = begin_resumable_run(results_dir, default_manifest_path(results_dir),
                                            settings_json(options), progress);

  // Each case's outcome in its slot, so the report and manifest keep the sorted case order
  // whatever the number of jobs.
  struct CaseOutcome {
    bool skipped = false;
    bool resumed = false;
  };
  std::vector<CaseOutcome> outcomes(cases.size());
  std::vector<int> ids(cases.size());
  for (std::size_t k = 0; k < cases.size(); ++k) ids[k] = case_id_of(cases[k], raw_data_dir);
  // Memory: a job holds the raw image and label as float, their copies, and the resampled and
  // padded outputs. The largest case decides how many jobs fit (estimate in the header).
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
    const fs::path image_path = raw_data_dir / name / "imaging.nii.gz";
    if (resuming && case_finished(raw_data_dir / name, results_dir, name, options)) {
      outcomes[k].resumed = true;
      meter.finished(name, 0, ": finished by an earlier run (files checked, kept)");
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    const io::NiftiVolume image = io::read_nifti(image_path);
    if (const NonFiniteValues bad = find_non_finite(image.data); bad.any()) {
      throw DataError(fmt::format("{}: the image holds {}; preprocessing refuses NaN/Inf input",
                                  image_path.string(), describe_non_finite(bad)));
    }
    const io::NiftiVolume label = io::read_nifti(raw_data_dir / name / "segmentation.nii.gz");
    const PreprocessedCase result = preprocess_kits19_case(image, label, options, name);

    const auto& shape = result.image.shape();
    const std::vector<std::size_t> out_shape{1, shape[0], shape[1], shape[2]};
    io::write_npy(results_dir / (name + "_x.npy"), io::NpyDtype::float32, out_shape,
                  result.image.data());
    io::write_npy(results_dir / (name + "_y.npy"), io::NpyDtype::uint8, out_shape,
                  result.label.data());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::error_code ec;
    const auto bytes = fs::file_size(image_path, ec);
    meter.finished(name, ec ? 0 : bytes,
                   fmt::format(": id {} raw {} spacing ({:g}, {:g}, {:g}) -> {} in {:.2f} s", id,
                               shape_text(image.shape), image.spacing[0], image.spacing[1],
                               image.spacing[2], shape_text(out_shape), seconds));
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
    if (outcomes[k].resumed) ++report.cases_resumed;
  }
  report.manifest = default_manifest_path(results_dir);
  report.synthetic = fs::exists(raw_data_dir / kKits19SyntheticMarker);
  write_checksum_manifest(results_dir, report.written_files, report.manifest, report.synthetic,
                          resolve_jobs(jobs));
  fmt::print(progress, "wrote {} cases ({} files{}) and {}{}\n", report.cases_written,
             report.written_files.size(),
             report.cases_resumed > 0
                 ? fmt::format(", {} cases kept from an earlier run", report.cases_resumed)
                 : std::string(),
             report.manifest.string(),
             report.synthetic ? " (synthetic data: not the official KiTS19 data)" : "");
  return report;
}

}  // namespace segbench::prep
