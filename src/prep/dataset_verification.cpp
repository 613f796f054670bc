#include "segbench/prep/dataset_verification.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "segbench/prep/finite_values.hpp"
#include "segbench/prep/msd_dataset_json.hpp"
#include "segbench/prep/nifti_header.hpp"
#include "segbench/prep/npy_header.hpp"
#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;
using Problems = std::vector<std::string>;

template <class Range>
std::string shape_text(const Range& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

/// Runs check(i, problems_of_i) for every i on the jobs; a DataError thrown by a check (an
/// unreadable file) becomes that item's problem. Problems come back in item order.
void check_each(std::size_t count, int jobs, VerifyReport& report,
                const std::function<void(std::size_t, Problems&)>& check) {
  std::vector<Problems> found(count);
  for_each_index(count, resolve_jobs(jobs), [&](std::size_t i) {
    try {
      check(i, found[i]);
    } catch (const Error& e) {
      found[i].push_back(e.what());
    }
  });
  for (Problems& p : found)
    for (std::string& line : p) report.problems.push_back(std::move(line));
}

/// The headers of a preprocessed case's image (float32) and label (uint8) .npy files, their
/// dtypes checked; nothing when either file is missing (noted in `problems`).
std::optional<std::pair<NpyHeader, NpyHeader>> read_case_headers(const fs::path& x_path,
                                                                 const fs::path& y_path,
                                                                 Problems& problems) {
  for (const fs::path& p : {x_path, y_path}) {
    if (!fs::is_regular_file(p))
      problems.push_back(fmt::format("{}: missing (its partner exists)", p.string()));
  }
  if (!problems.empty()) return std::nullopt;
  std::pair<NpyHeader, NpyHeader> headers{read_npy_header(x_path), read_npy_header(y_path)};
  if (headers.first.descr != "<f4")
    problems.push_back(
        fmt::format("{}: dtype {}, expected float32 (<f4)", x_path.string(), headers.first.descr));
  if (headers.second.descr != "|u1")
    problems.push_back(
        fmt::format("{}: dtype {}, expected uint8 (|u1)", y_path.string(), headers.second.descr));
  return headers;
}

// --- headers without the data -----------------------------------------------------------------

/// Counts of label values outside `allowed` and the first one.
template <class T>
std::optional<std::string> bad_labels(const T* values, std::size_t count,
                                      const std::set<long long>& allowed) {
  std::size_t bad = 0;
  double first = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double v = static_cast<double>(values[i]);
    const bool ok = v == std::floor(v) && allowed.count(static_cast<long long>(v)) > 0;
    if (!ok && bad++ == 0) first = v;
  }
  if (bad == 0) return std::nullopt;
  return fmt::format("{} voxel(s) hold label values outside {} (first: {})", bad,
                     shape_text(allowed), first);
}

const std::set<long long> kKits19Labels{0, 1, 2};

/// The full-depth check of a raw NIfTI case: every image voxel finite (scanned on the stored
/// bytes), every label value (when `label_path` is given) in `labels`.
void check_nifti_values(const fs::path& image_path, const fs::path& label_path,
                        const std::set<long long>& labels, Problems& problems) {
  if (const auto bad = find_non_finite_in_nifti(image_path); bad.any())
    problems.push_back(fmt::format("{}: {}", image_path.string(),
                                   describe_non_finite(bad, nifti_voxel_text(bad))));
  if (label_path.empty()) return;
  const io::NiftiVolume label = io::read_nifti(label_path);
  if (auto bad = bad_labels(label.data.data(), label.data.size(), labels))
    problems.push_back(fmt::format("{}: {}", label_path.string(), *bad));
}

/// case_00042 → true (a training case, id < 210); names without a numeric id count as training.
bool kits19_training_case(const std::string& name) {
  const auto underscore = name.find('_');
  if (underscore == std::string::npos) return true;
  std::size_t id = 0, digits = 0;
  for (std::size_t i = underscore + 1;
       i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i, ++digits)
    id = id * 10 + static_cast<std::size_t>(name[i] - '0');
  return digits == 0 || id < 210;
}
const std::set<long long> kCam5Labels{0, 1, 2};

std::vector<std::string> sorted_entries(
    const fs::path& dir, const std::function<bool(const fs::directory_entry&)>& keep) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    if (keep(entry)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// --- KiTS19 ----------------------------------------------------------------------------------

VerifyReport verify_kits19_raw(const fs::path& raw_dir, const DatasetCheckOptions& options) {
  VerifyReport report;
  if (!fs::is_directory(raw_dir)) {
    report.problems.push_back(fmt::format("{}: no such directory", raw_dir.string()));
    return report;
  }
  const auto cases = sorted_entries(raw_dir, [](const fs::directory_entry& e) {
    return e.is_directory() && e.path().filename().string().find("case") != std::string::npos;
  });
  if (cases.empty()) {
    report.problems.push_back(fmt::format("{}: no case_XXXXX directories", raw_dir.string()));
    return report;
  }
  check_each(cases.size(), options.jobs, report, [&](std::size_t k, Problems& problems) {
    const fs::path image_path = raw_dir / cases[k] / "imaging.nii.gz";
    const fs::path label_path = raw_dir / cases[k] / "segmentation.nii.gz";
    if (!fs::is_regular_file(image_path)) {
      problems.push_back(fmt::format("{}: missing", image_path.string()));
      return;
    }
    const NiftiHeader image = read_nifti_header(image_path);
    if (image.shape.size() != 3)
      problems.push_back(fmt::format("{}: expected a 3-D volume, found shape {}",
                                     image_path.string(), shape_text(image.shape)));
    for (std::size_t a = 0; a < 3; ++a) {
      if (!(image.spacing[a] > 0) || !std::isfinite(image.spacing[a])) {
        problems.push_back(fmt::format("{}: spacing {} on axis {} is not positive",
                                       image_path.string(), image.spacing[a], a));
      }
    }
    // The KiTS19 test cases (id >= 210) have no segmentation; every training case needs one.
    const bool has_label = fs::is_regular_file(label_path);
    if (!has_label && kits19_training_case(cases[k]))
      problems.push_back(fmt::format("{}: missing", label_path.string()));
    if (has_label) {
      const NiftiHeader label = read_nifti_header(label_path);
      if (label.shape != image.shape)
        problems.push_back(fmt::format("{}: shape {} differs from the image's {}",
                                       label_path.string(), shape_text(label.shape),
                                       shape_text(image.shape)));
    }
    if (options.depth != VerifyDepth::full) return;
    check_nifti_values(image_path, has_label ? label_path : fs::path(), kKits19Labels, problems);
  });
  return report;
}

VerifyReport verify_kits19_preprocessed(const fs::path& results_dir,
                                        const DatasetCheckOptions& options) {
  VerifyReport report;
  if (!fs::is_directory(results_dir)) {
    report.problems.push_back(fmt::format("{}: no such directory", results_dir.string()));
    return report;
  }
  std::set<std::string> cases;
  for (const std::string& name : sorted_entries(results_dir, [](const fs::directory_entry& e) {
         const std::string n = e.path().filename().string();
         return n.ends_with("_x.npy") || n.ends_with("_y.npy");
       }))
    cases.insert(name.substr(0, name.size() - 6));
  if (const auto manifest = read_checksum_manifest(default_manifest_path(results_dir))) {
    for (const auto& [name, md5] : manifest->files) {
      if (!fs::is_regular_file(results_dir / name))
        report.problems.push_back(fmt::format("{}: missing (listed in {})",
                                              (results_dir / name).string(), kManifestName));
    }
  }
  if (cases.empty()) {
    report.problems.push_back(
        fmt::format("{}: no case_XXXXX_x.npy / _y.npy files", results_dir.string()));
    return report;
  }
  const std::vector<std::string> names(cases.begin(), cases.end());
  check_each(names.size(), options.jobs, report, [&](std::size_t k, Problems& problems) {
    const fs::path x_path = results_dir / (names[k] + "_x.npy");
    const fs::path y_path = results_dir / (names[k] + "_y.npy");
    const auto headers = read_case_headers(x_path, y_path, problems);
    if (!headers) return;
    const auto& [x, y] = *headers;
    if (x.shape.size() != 4 || x.shape[0] != 1)
      problems.push_back(
          fmt::format("{}: shape {}, expected (1, D, H, W)", x_path.string(), shape_text(x.shape)));
    if (y.shape != x.shape)
      problems.push_back(fmt::format("{}: shape {} differs from the image's {}", y_path.string(),
                                     shape_text(y.shape), shape_text(x.shape)));
    for (const auto* h : {&x, &y}) {
      if (!h->complete)
        problems.push_back(fmt::format("{}: file size does not match its header (truncated?)",
                                       (h == &x ? x_path : y_path).string()));
    }
    if (options.depth != VerifyDepth::full || !problems.empty()) return;
    const io::NpyArray image = io::read_npy(x_path);
    const std::span<const float> values(image.data<float>(), image.numel());
    if (const auto bad = find_non_finite(values); bad.any())
      problems.push_back(fmt::format("{}: {}", x_path.string(), describe_non_finite(bad)));
    const io::NpyArray label = io::read_npy(y_path);
    if (auto bad = bad_labels(label.data<std::uint8_t>(), label.numel(), kKits19Labels))
      problems.push_back(fmt::format("{}: {}", y_path.string(), *bad));
  });
  return report;
}

// --- CAM5 ------------------------------------------------------------------------------------

namespace {

struct Cam5FileSeen {
  std::vector<std::size_t> shape;  ///< climate/data's; empty when unreadable
  std::optional<Cam5FileStats> share;
};

io::H5Array<double> stats_vector(const io::H5Reader& file, const char* name, Problems& problems) {
  if (!file.has_dataset(name)) {
    problems.push_back(fmt::format("{}: dataset {}: missing", file.path().string(), name));
    return {};
  }
  return file.read_float64(name);
}

void check_cam5_stats(const fs::path& path, std::size_t channels, std::size_t train_files,
                      const std::vector<Cam5FileSeen>* train_seen,
                      const std::vector<fs::path>* train_paths, Problems& problems) {
  const io::H5Reader file(path);
  const std::string name = path.string();
  if (!file.has_dataset("climate/count")) {
    problems.push_back(fmt::format("{}: dataset climate/count: missing", name));
  } else {
    const auto count = file.read_int64("climate/count");
    if (count.values.size() != 1 || static_cast<std::size_t>(count.values[0]) != train_files)
      problems.push_back(fmt::format("{}: dataset climate/count: {}, but train/ holds {} files",
                                     name, count.values.empty() ? -1 : count.values[0],
                                     train_files));
  }
  std::map<std::string, std::vector<double>> v;
  for (const char* key : {"climate/minval", "climate/maxval", "climate/mean", "climate/sqmean"}) {
    const io::H5Array<double> a = stats_vector(file, key, problems);
    if (a.values.empty()) continue;
    if (a.shape.size() != 1 || (channels > 0 && a.shape[0] != channels)) {
      problems.push_back(
          fmt::format("{}: dataset {}: shape {}, expected ({},) for the {} "
                      "channels of climate/data",
                      name, key, io::shape_string(a.shape), channels, channels));
      continue;
    }
    for (std::size_t c = 0; c < a.values.size(); ++c) {
      if (!std::isfinite(a.values[c]))
        problems.push_back(fmt::format("{}: dataset {}: {} is not finite at {}", name, key,
                                       a.values[c], cam5_field_name(c, a.values.size())));
    }
    v[key] = a.values;
  }
  if (v.size() != 4) return;
  const auto& lo = v["climate/minval"];
  const auto& hi = v["climate/maxval"];
  const auto& mean = v["climate/mean"];
  for (std::size_t c = 0; c < lo.size(); ++c) {
    if (!(lo[c] <= mean[c] && mean[c] <= hi[c]))
      problems.push_back(fmt::format("{}: {}: mean {} is not within [minval {}, maxval {}]", name,
                                     cam5_field_name(c, lo.size()), mean[c], lo[c], hi[c]));
  }
  if (!train_seen) return;
  std::vector<Cam5FileStats> shares;
  for (const Cam5FileSeen& s : *train_seen) {
    if (!s.share) return;  // a file was unreadable or not finite: reported already
    shares.push_back(*s.share);
  }
  const Cam5Stats data = combine_cam5_stats(shares, *train_paths);
  const auto differs = [](double stored, double computed, double rel) {
    return std::abs(stored - computed) > rel * std::max(std::abs(computed), 1e-30);
  };
  for (std::size_t c = 0; c < lo.size() && c < data.minval.size(); ++c) {
    const std::string field = cam5_field_name(c, lo.size());
    if (static_cast<float>(data.minval[c]) != static_cast<float>(lo[c]) ||
        static_cast<float>(data.maxval[c]) != static_cast<float>(hi[c]))
      problems.push_back(fmt::format(
          "{}: {}: minval/maxval {} / {}, but the train data has {} / {}", name, field, lo[c],
          hi[c], static_cast<float>(data.minval[c]), static_cast<float>(data.maxval[c])));
    if (differs(mean[c], data.mean[c], 1e-5) ||
        differs(v["climate/sqmean"][c], data.sqmean[c], 1e-5))
      problems.push_back(
          fmt::format("{}: {}: mean/sqmean {} / {}, but the train data gives {} / {}", name, field,
                      mean[c], v["climate/sqmean"][c], data.mean[c], data.sqmean[c]));
  }
}

}  // namespace

VerifyReport verify_cam5(const fs::path& data_dir, const DatasetCheckOptions& options) {
  VerifyReport report;
  if (!fs::is_directory(data_dir)) {
    report.problems.push_back(fmt::format("{}: no such directory", data_dir.string()));
    return report;
  }
  struct Item {
    std::string split;
    fs::path path;
  };
  std::vector<Item> items;
  std::map<std::string, std::size_t> counts;
  for (const char* split : {"train", "validation", "test"}) {
    const fs::path dir = data_dir / split;
    if (!fs::is_directory(dir)) {
      if (std::string(split) != "test")
        report.problems.push_back(fmt::format("{}: missing (expected *.h5 samples)", dir.string()));
      continue;
    }
    std::vector<fs::path> files;
    try {
      files = io::list_h5_files(dir);
    } catch (const Error& e) {
      report.problems.push_back(e.what());
    }
    counts[split] = files.size();
    for (fs::path& f : files) items.push_back({split, std::move(f)});
  }
  std::vector<Cam5FileSeen> seen(items.size());
  const bool full = options.depth == VerifyDepth::full;
  check_each(items.size(), options.jobs, report, [&](std::size_t k, Problems& problems) {
    const io::H5Reader file(items[k].path);
    const std::string name = items[k].path.string();
    if (!file.has_dataset("climate/data")) {
      problems.push_back(fmt::format("{}: dataset climate/data: missing", name));
      return;
    }
    const io::H5DatasetInfo data = file.info("climate/data");
    if (data.shape.size() != 3) {
      problems.push_back(fmt::format("{}: dataset climate/data: shape {}, expected (H, W, C)", name,
                                     io::shape_string(data.shape)));
      return;
    }
    seen[k].shape = data.shape;
    if (!file.has_dataset("climate/labels_0")) {
      problems.push_back(fmt::format("{}: dataset climate/labels_0: missing", name));
      return;
    }
    const io::H5DatasetInfo labels = file.info("climate/labels_0");
    if (!io::is_floating(data.dtype))
      problems.push_back(fmt::format("{}: dataset climate/data: dtype {}, expected floating", name,
                                     io::to_string(data.dtype)));
    if (io::is_floating(labels.dtype))
      problems.push_back(fmt::format("{}: dataset climate/labels_0: dtype {}, expected integer",
                                     name, io::to_string(labels.dtype)));
    if (labels.shape.size() != 2 || labels.shape[0] != data.shape[0] ||
        labels.shape[1] != data.shape[1])
      problems.push_back(fmt::format("{}: dataset climate/labels_0: shape {}, expected ({}, {})",
                                     name, io::shape_string(labels.shape), data.shape[0],
                                     data.shape[1]));
    if (!full || !problems.empty()) return;
    const io::H5Array<float> values = file.read_float32("climate/data");
    const std::size_t channels = data.shape[2];
    bool finite = true;
    for (std::size_t c = 0; c < channels; ++c) {
      const auto bad = find_non_finite(values.values, c, channels);
      if (!bad.any()) continue;
      finite = false;
      const std::size_t pixel = bad.first_index / channels;
      problems.push_back(fmt::format(
          "{}: dataset climate/data: field {} holds {}", name, cam5_field_name(c, channels),
          describe_non_finite(bad, fmt::format("row {}, column {}", pixel / data.shape[1],
                                               pixel % data.shape[1]))));
    }
    if (finite && items[k].split == "train")
      seen[k].share = cam5_file_stats_of(values.values, channels);
    const io::H5Array<std::int64_t> label_values = file.read_int64("climate/labels_0");
    if (auto bad = bad_labels(label_values.values.data(), label_values.values.size(), kCam5Labels))
      problems.push_back(fmt::format("{}: dataset climate/labels_0: {}", name, *bad));
  });

  // The shape most files have is the set's shape; every other is a problem.
  std::map<std::vector<std::size_t>, std::size_t> shapes;
  for (const Cam5FileSeen& s : seen)
    if (!s.shape.empty()) ++shapes[s.shape];
  std::vector<std::size_t> common;
  std::size_t most = 0;
  for (const auto& [shape, n] : shapes)
    if (n > most) most = n, common = shape;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (!seen[k].shape.empty() && seen[k].shape != common)
      report.problems.push_back(
          fmt::format("{}: dataset climate/data: shape {}, but {} of the "
                      "{} files have {}",
                      items[k].path.string(), io::shape_string(seen[k].shape), most, items.size(),
                      io::shape_string(common)));
  }
  const bool real = common.size() == 3 && common[0] == kCam5RealHeight &&
                    common[1] == kCam5RealWidth && common[2] == cam5_channel_count;
  if (real && options.real_counts) {
    if (counts["train"] != kCam5RealTrainFiles)
      report.problems.push_back(fmt::format("{}: {} files, the real CAM5 split has {}",
                                            (data_dir / "train").string(), counts["train"],
                                            kCam5RealTrainFiles));
    if (counts["validation"] != kCam5RealValidationFiles)
      report.problems.push_back(fmt::format("{}: {} files, the real CAM5 split has {}",
                                            (data_dir / "validation").string(),
                                            counts["validation"], kCam5RealValidationFiles));
  }

  const fs::path stats = data_dir / "stats.h5";
  if (!fs::is_regular_file(stats)) {
    report.problems.push_back(
        fmt::format("{}: missing (write it with segbench-data cam5-stats)", stats.string()));
    return report;
  }
  std::vector<Cam5FileSeen> train_seen;
  std::vector<fs::path> train_paths;
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (items[k].split != "train") continue;
    train_seen.push_back(seen[k]);
    train_paths.push_back(items[k].path);
  }
  Problems stats_problems;
  try {
    check_cam5_stats(stats, common.size() == 3 ? common[2] : 0, counts["train"],
                     full && !train_seen.empty() ? &train_seen : nullptr, &train_paths,
                     stats_problems);
  } catch (const Error& e) {
    stats_problems.push_back(e.what());
  }
  for (std::string& p : stats_problems) report.problems.push_back(std::move(p));
  return report;
}

// --- BraTS -----------------------------------------------------------------------------------

VerifyReport verify_brats(const fs::path& task_dir, const DatasetCheckOptions& options) {
  VerifyReport report;
  MsdDataset dataset;
  try {
    dataset = read_msd_dataset_json(task_dir);
  } catch (const Error& e) {
    report.problems.push_back(e.what());
    return report;
  }
  const std::string json = dataset.json_path.string();
  if (dataset.in_channels() != 4)
    report.problems.push_back(
        fmt::format("{}: {} modalities, BraTS has 4", json, dataset.in_channels()));
  std::set<long long> labels;
  for (const auto& [value, name] : dataset.labels) labels.insert(value);
  const std::size_t channels = dataset.in_channels();
  check_each(dataset.training.size(), options.jobs, report, [&](std::size_t k, Problems& problems) {
    const fs::path image_path = dataset.resolve(dataset.training[k].image);
    const fs::path label_path = dataset.resolve(dataset.training[k].label);
    for (const fs::path& p : {image_path, label_path}) {
      if (!fs::is_regular_file(p))
        problems.push_back(fmt::format("{}: missing (listed in {})", p.string(), json));
    }
    if (!problems.empty()) return;
    const NiftiHeader image = read_nifti_header(image_path);
    const NiftiHeader label = read_nifti_header(label_path);
    if (image.shape.size() != 4 || image.shape[3] != channels)
      problems.push_back(
          fmt::format("{}: shape {}, expected (X, Y, Z, {}) for the {} "
                      "modalities of dataset.json",
                      image_path.string(), shape_text(image.shape), channels, channels));
    const bool label_3d =
        label.shape.size() == 3 || (label.shape.size() == 4 && label.shape[3] == 1);
    if (!label_3d || image.shape.size() < 3 ||
        !std::equal(label.shape.begin(), label.shape.begin() + 3, image.shape.begin()))
      problems.push_back(fmt::format("{}: shape {}, expected the image's (X, Y, Z) {}",
                                     label_path.string(), shape_text(label.shape),
                                     shape_text(image.shape)));
    if (options.depth != VerifyDepth::full || !problems.empty()) return;
    check_nifti_values(image_path, label_path, labels, problems);
  });
  return report;
}

VerifyReport verify_brats_preprocessed(const fs::path& results_dir,
                                       const DatasetCheckOptions& options) {
  VerifyReport report;
  const fs::path config_path = results_dir / "config.json";
  std::size_t channels = 0, n_class = 0, ph = 0, pw = 0;
  try {
    std::ifstream in(config_path);
    SEGBENCH_CHECK(in.is_open(), DataError, "{}: missing (written by brats-preprocess)",
                   config_path.string());
    const nlohmann::json config = nlohmann::json::parse(in);
    channels = config.at("in_channels").get<std::size_t>();
    n_class = config.at("n_class").get<std::size_t>();
    ph = config.at("patch_size").at(0).get<std::size_t>();
    pw = config.at("patch_size").at(1).get<std::size_t>();
  } catch (const Error& e) {
    report.problems.push_back(e.what());
  } catch (const nlohmann::json::exception& e) {
    report.problems.push_back(fmt::format("{}: {}", config_path.string(), e.what()));
  }
  if (!fs::is_directory(results_dir)) return report;
  std::set<std::string> cases;
  for (const std::string& name : sorted_entries(results_dir, [](const fs::directory_entry& e) {
         const std::string n = e.path().filename().string();
         return n.ends_with("_x.npy") || n.ends_with("_y.npy");
       }))
    cases.insert(name.substr(0, name.size() - 6));
  if (cases.empty()) {
    report.problems.push_back(
        fmt::format("{}: no BRATS_XXX_x.npy / _y.npy files", results_dir.string()));
    return report;
  }
  std::set<long long> labels;
  for (std::size_t v = 0; v < n_class; ++v) labels.insert(static_cast<long long>(v));
  const std::vector<std::string> names(cases.begin(), cases.end());
  check_each(names.size(), options.jobs, report, [&](std::size_t k, Problems& problems) {
    const fs::path x_path = results_dir / (names[k] + "_x.npy");
    const fs::path y_path = results_dir / (names[k] + "_y.npy");
    const auto headers = read_case_headers(x_path, y_path, problems);
    if (!headers) return;
    const auto& [x, y] = *headers;
    const bool x_ok = x.shape.size() == 4 && (channels == 0 || x.shape[0] == channels) &&
                      (ph == 0 || (x.shape[2] == ph && x.shape[3] == pw));
    if (!x_ok)
      problems.push_back(fmt::format("{}: shape {}, expected ({}, D, {}, {}) from config.json",
                                     x_path.string(), shape_text(x.shape), channels, ph, pw));
    if (y.shape.size() != 4 || y.shape[0] != 1 || x.shape.size() != 4 ||
        !std::equal(y.shape.begin() + 1, y.shape.end(), x.shape.begin() + 1))
      problems.push_back(fmt::format("{}: shape {}, expected (1, D, H, W) of the image's {}",
                                     y_path.string(), shape_text(y.shape), shape_text(x.shape)));
    for (const auto* h : {&x, &y}) {
      if (!h->complete)
        problems.push_back(fmt::format("{}: file size does not match its header (truncated?)",
                                       (h == &x ? x_path : y_path).string()));
    }
    if (options.depth != VerifyDepth::full || !problems.empty()) return;
    const io::NpyArray image = io::read_npy(x_path);
    if (const auto bad = find_non_finite({image.data<float>(), image.numel()}); bad.any())
      problems.push_back(fmt::format("{}: {}", x_path.string(), describe_non_finite(bad)));
    const io::NpyArray label = io::read_npy(y_path);
    if (auto bad = bad_labels(label.data<std::uint8_t>(), label.numel(), labels))
      problems.push_back(fmt::format("{}: {}", y_path.string(), *bad));
  });
  return report;
}

}  // namespace segbench::prep
