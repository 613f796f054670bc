// Index names: the NIfTI volume is (x, y, z[, c]) as nibabel shows it; the preprocessed volume
// is channel-first (c, z, y, x) = (C, D, H, W), the reference's transpose (3, 2, 1, 0).
#include "segbench/prep/brats_preprocess.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/finite_values.hpp"
#include "segbench/prep/msd_dataset_json.hpp"
#include "segbench/prep/nifti_header.hpp"
#include "segbench/prep/npy_header.hpp"
#include "segbench/prep/parallel_files.hpp"
#include "segbench/prep/preprocess_settings.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

template <class Range>
std::string shape_text(const Range& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

/// (X, Y, Z[, C]) → channel-first (C, Z, Y, X) float data.
std::vector<float> to_channel_first(const io::NiftiVolume& image, std::size_t channels) {
  const std::size_t nx = image.shape[0], ny = image.shape[1], nz = image.shape[2];
  std::vector<float> out(image.data.size());
  const float* in = image.data.data();
  for (std::size_t x = 0; x < nx; ++x)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t z = 0; z < nz; ++z, in += channels)
        for (std::size_t c = 0; c < channels; ++c) out[((c * nz + z) * ny + y) * nx + x] = in[c];
  return out;
}

void check_label(const io::NiftiVolume& image, const io::NiftiVolume& label,
                 const BratsCaseContract& contract, const std::string& image_name,
                 const std::string& label_name) {
  const bool one_channel =
      label.shape.size() == 3 || (label.shape.size() == 4 && label.shape[3] == 1);
  SEGBENCH_CHECK(one_channel, DataError,
                 "{}: expected a 3-D label (X, Y, Z) or (X, Y, Z, 1), found shape {}", label_name,
                 shape_text(label.shape));
  const std::vector<std::size_t> image_xyz(image.shape.begin(), image.shape.begin() + 3);
  const std::vector<std::size_t> label_xyz(label.shape.begin(), label.shape.begin() + 3);
  SEGBENCH_CHECK(image_xyz == label_xyz, DataError,
                 "{}: label shape {} does not match the spatial shape {} of image {}", label_name,
                 shape_text(label.shape), shape_text(image_xyz), image_name);

  std::array<bool, 256> allowed{};
  for (int value : contract.label_values)
    if (value >= 0 && value < 256) allowed[static_cast<std::size_t>(value)] = true;
  std::size_t bad_count = 0;
  float first_bad = 0.0f;
  for (float v : label.data) {
    const bool ok =
        v >= 0.0f && v < 256.0f && v == std::floor(v) && allowed[static_cast<std::size_t>(v)];
    if (!ok && bad_count++ == 0) first_bad = v;
  }
  SEGBENCH_CHECK(bad_count == 0, DataError,
                 "{}: {} voxel(s) hold label values outside the declared labels {} of "
                 "dataset.json (first found: {})",
                 label_name, bad_count, shape_text(contract.label_values), first_bad);
}

ForegroundBox foreground_box(const std::vector<float>& volume,
                             const std::array<std::size_t, 4>& shape, const std::string& name) {
  const std::size_t nc = shape[0], nz = shape[1], ny = shape[2], nx = shape[3];
  const std::size_t plane = nz * ny * nx;
  ForegroundBox box;
  box.begin = {nz, ny, nx};
  box.end = {0, 0, 0};
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) {
        const std::size_t at = (z * ny + y) * nx + x;
        bool foreground = false;
        for (std::size_t c = 0; c < nc && !foreground; ++c) foreground = volume[c * plane + at] > 0;
        if (!foreground) continue;
        const std::array<std::size_t, 3> p{z, y, x};
        for (std::size_t a = 0; a < 3; ++a) {
          box.begin[a] = std::min(box.begin[a], p[a]);
          box.end[a] = std::max(box.end[a], p[a] + 1);
        }
      }
  SEGBENCH_CHECK(box.end[0] > 0, DataError,
                 "{}: no voxel > 0 in any channel: nothing to crop to (expected a skull-stripped "
                 "brain on a zero background)",
                 name);
  return box;
}

/// Where output index o of the padded-then-centre-cropped axis reads from in the input axis
/// of length `size`, or -1 for padding. numpy pads floor(d/2) before and the rest after,
/// then the crop starts at (padded - patch) // 2.
std::vector<std::ptrdiff_t> pad_crop_source(std::size_t size, std::size_t patch) {
  const std::size_t padded = std::max(size, patch);
  const std::size_t before = (padded - size) / 2;
  const std::size_t start = (padded - patch) / 2;
  std::vector<std::ptrdiff_t> source(patch);
  for (std::size_t o = 0; o < patch; ++o) {
    const auto i = static_cast<std::ptrdiff_t>(o + start) - static_cast<std::ptrdiff_t>(before);
    source[o] = i >= 0 && i < static_cast<std::ptrdiff_t>(size) ? i : -1;
  }
  return source;
}

}  // namespace

BratsPreprocessedCase preprocess_brats_case(const io::NiftiVolume& image,
                                            const io::NiftiVolume& label,
                                            const BratsCaseContract& contract,
                                            const BratsPreprocessOptions& options,
                                            const std::string& image_name,
                                            const std::string& label_name) {
  SEGBENCH_CHECK(options.patch_size[0] > 0 && options.patch_size[1] > 0, ConfigError,
                 "BraTS preprocessing: patch size must be positive, found {} x {}",
                 options.patch_size[0], options.patch_size[1]);
  SEGBENCH_CHECK(image.shape.size() == 3 || image.shape.size() == 4, DataError,
                 "{}: expected a 4-D image (X, Y, Z, C), found shape {}", image_name,
                 shape_text(image.shape));
  SEGBENCH_CHECK(image.shape.size() == 4 || contract.channels == 1, DataError,
                 "{}: expected a 4-D image (X, Y, Z, {}) for the {} modalities of dataset.json, "
                 "found a 3-D image of shape {}",
                 image_name, contract.channels, contract.channels, shape_text(image.shape));
  const std::size_t channels = image.shape.size() == 4 ? image.shape[3] : 1;
  SEGBENCH_CHECK(channels == contract.channels, DataError,
                 "{}: image has {} channels (shape {}), but dataset.json lists {} modalities",
                 image_name, channels, shape_text(image.shape), contract.channels);
  SEGBENCH_CHECK(image.data.size() == image.numel(), DataError,
                 "{}: holds {} values for shape {} ({} expected)", image_name, image.data.size(),
                 shape_text(image.shape), image.numel());
  if (const NonFiniteValues bad = find_non_finite(image.data); bad.any()) {
    throw DataError(fmt::format("{}: the image holds {}; preprocessing refuses NaN/Inf input",
                                image_name, describe_non_finite(bad)));
  }
  check_label(image, label, contract, image_name, label_name);

  BratsPreprocessedCase out;
  out.raw_shape = {channels, image.shape[2], image.shape[1], image.shape[0]};
  const std::vector<float> raw = to_channel_first(image, channels);
  const std::vector<float> raw_label = to_channel_first(label, 1);
  out.foreground = foreground_box(raw, out.raw_shape, image_name);

  // Crop to the box (margin 0), z-score each channel over every cropped voxel, zeros included.
  const auto& b = out.foreground.begin;
  const auto& e = out.foreground.end;
  const std::size_t d = e[0] - b[0], h = e[1] - b[1], w = e[2] - b[2];
  const std::size_t rz = out.raw_shape[1], ry = out.raw_shape[2], rx = out.raw_shape[3];
  const auto raw_at = [&](std::size_t c, std::size_t z, std::size_t y, std::size_t x) {
    return ((c * rz + b[0] + z) * ry + b[1] + y) * rx + b[2] + x;
  };
  const std::size_t count = d * h * w;
  for (std::size_t c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (std::size_t z = 0; z < d; ++z)
      for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) sum += raw[raw_at(c, z, y, x)];
    const double mean = sum / static_cast<double>(count);
    double squares = 0.0;
    for (std::size_t z = 0; z < d; ++z)
      for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) {
          const double dev = raw[raw_at(c, z, y, x)] - mean;
          squares += dev * dev;
        }
    const double stddev = std::sqrt(squares / static_cast<double>(count));
    out.channel_mean.push_back(mean);
    out.channel_std.push_back(stddev == 0.0 ? 1.0 : stddev);
  }

  // Zero-pad H and W to at least the patch, then centre-crop to exactly the patch.
  const std::size_t ph = options.patch_size[0], pw = options.patch_size[1];
  const std::vector<std::ptrdiff_t> from_y = pad_crop_source(h, ph);
  const std::vector<std::ptrdiff_t> from_x = pad_crop_source(w, pw);
  out.image_shape = {channels, d, ph, pw};
  out.label_shape = {1, d, ph, pw};
  out.image.assign(channels * d * ph * pw, 0.0f);
  out.label.assign(d * ph * pw, 0);
  for (std::size_t c = 0; c < channels; ++c) {
    const double mean = out.channel_mean[c], stddev = out.channel_std[c];
    for (std::size_t z = 0; z < d; ++z)
      for (std::size_t oy = 0; oy < ph; ++oy) {
        if (from_y[oy] < 0) continue;
        for (std::size_t ox = 0; ox < pw; ++ox) {
          if (from_x[ox] < 0) continue;
          const std::size_t source = raw_at(c, z, static_cast<std::size_t>(from_y[oy]),
                                            static_cast<std::size_t>(from_x[ox]));
          const std::size_t target = ((c * d + z) * ph + oy) * pw + ox;
          out.image[target] = static_cast<float>((raw[source] - mean) / stddev);
          if (c == 0) out.label[target] = static_cast<std::uint8_t>(raw_label[source]);
        }
      }
  }
  return out;
}

namespace {

/// What decides the output bytes: a rerun keeps earlier files only when this is unchanged.
std::string brats_settings_json(const BratsPreprocessOptions& options,
                                const BratsCaseContract& contract) {
  const nlohmann::ordered_json settings = {{"tool", "brats-preprocess"},
                                           {"patch_size", options.patch_size},
                                           {"channels", contract.channels},
                                           {"label_values", contract.label_values}};
  return settings.dump(2) + "\n";
}

/// Outputs are written atomically, so a pair that is there and complete, float32 (C, D, H, W)
/// and uint8 (1, D, H, W) with every slice at least the patch size, was finished by an earlier
/// run with the same settings (the crop depends on the data, so the shape is not known before).
bool brats_case_finished(const fs::path& results_dir, const std::string& name,
                         const BratsCaseContract& contract, const BratsPreprocessOptions& options) {
  try {
    const NpyHeader x = read_npy_header(results_dir / (name + "_x.npy"));
    const NpyHeader y = read_npy_header(results_dir / (name + "_y.npy"));
    return x.complete && y.complete && x.descr == "<f4" && y.descr == "|u1" &&
           x.shape.size() == 4 && y.shape.size() == 4 && x.shape[0] == contract.channels &&
           y.shape[0] == 1 && std::equal(x.shape.begin() + 1, x.shape.end(), y.shape.begin() + 1) &&
           x.shape[1] > 0 && x.shape[2] >= options.patch_size[0] &&
           x.shape[3] >= options.patch_size[1];
  } catch (const Error&) {
    return false;  // missing or unreadable: preprocessed again
  }
}

}  // namespace

std::uint64_t brats_job_bytes(const NiftiHeader& image) {
  return static_cast<std::uint64_t>(image.numel()) * kBratsBytesPerImageVoxel + kBratsJobBaseBytes;
}

fs::path write_brats_config(const fs::path& results_dir, const BratsPreprocessOptions& options,
                            std::size_t n_class, std::size_t in_channels) {
  nlohmann::ordered_json config;
  config["patch_size"] = {options.patch_size[0], options.patch_size[1]};
  config["spacings"] = {1.0, 1.0};
  config["n_class"] = n_class;
  config["in_channels"] = in_channels;
  const fs::path path = results_dir / "config.json";
  io::write_text_atomically(path, config.dump(2) + "\n");
  return path;
}

BratsPreprocessReport preprocess_brats_dir(const fs::path& task_dir, const fs::path& results_dir,
                                           const BratsPreprocessOptions& options,
                                           std::ostream& progress, int jobs) {
  const auto started = std::chrono::steady_clock::now();
  const MsdDataset dataset = read_msd_dataset_json(task_dir);
  SEGBENCH_CHECK(!dataset.training.empty(), DataError,
                 "{}: the \"training\" list is empty: nothing to preprocess",
                 dataset.json_path.string());
  check_msd_files_exist(dataset);
  std::set<std::string> names;
  for (const MsdTrainingPair& pair : dataset.training) {
    SEGBENCH_CHECK(names.insert(msd_case_name(pair.image)).second, DataError,
                   "{}: case {} is listed twice in \"training\"", dataset.json_path.string(),
                   msd_case_name(pair.image));
  }

  BratsCaseContract contract;
  contract.channels = dataset.in_channels();
  contract.label_values.clear();
  for (const auto& [value, name] : dataset.labels) contract.label_values.push_back(value);

  fmt::print(progress, "Preprocessing {} ({} training cases, {} modalities, {} labels) into {}\n",
             task_dir.string(), dataset.training.size(), contract.channels,
             contract.label_values.size(), results_dir.string());
  // config.json marks a finished set: written again at the end, so an interrupted run has none.
  const bool resuming = begin_resumable_run(results_dir, results_dir / "config.json",
                                            brats_settings_json(options, contract), progress);
  std::vector<char> resumed(dataset.training.size(), 0);

  // Memory: the largest image decides how many jobs fit (brats_job_bytes).
  std::uint64_t largest = 0;
  for (const MsdTrainingPair& pair : dataset.training) {
    try {
      largest = std::max(largest, brats_job_bytes(read_nifti_header(dataset.resolve(pair.image))));
    } catch (const Error&) {
      // reported when the case is preprocessed
    }
  }
  const int job_count = cap_jobs_by_memory(resolve_jobs(jobs), largest, &progress);
  ProgressMeter meter(&progress, "brats-preprocess", dataset.training.size());
  for_each_index(dataset.training.size(), job_count, [&](std::size_t i) {
    const MsdTrainingPair& pair = dataset.training[i];
    const fs::path image_path = dataset.resolve(pair.image);
    const fs::path label_path = dataset.resolve(pair.label);
    if (resuming &&
        brats_case_finished(results_dir, msd_case_name(pair.image), contract, options)) {
      resumed[i] = 1;
      meter.finished(msd_case_name(pair.image), 0,
                     ": finished by an earlier run (files checked, kept)");
      return;
    }
    // NaN/Inf: io::read_nifti keeps them as stored and preprocess_brats_case refuses them
    // naming the file (one decompression, not a second scan of the file).
    const BratsPreprocessedCase c =
        preprocess_brats_case(io::read_nifti(image_path), io::read_nifti(label_path), contract,
                              options, image_path.string(), label_path.string());
    const std::string name = msd_case_name(pair.image);
    io::write_npy(results_dir / (name + "_x.npy"), io::NpyDtype::float32, c.image_shape,
                  c.image.data());
    io::write_npy(results_dir / (name + "_y.npy"), io::NpyDtype::uint8, c.label_shape,
                  c.label.data());

    // Like the reference's "Saving ... mean ... std ...", over the saved (padded) slices.
    std::vector<std::string> means, stds;
    const std::size_t per_channel = c.image.size() / c.image_shape[0];
    for (std::size_t ch = 0; ch < c.image_shape[0]; ++ch) {
      double sum = 0.0, squares = 0.0;
      for (std::size_t k = 0; k < per_channel; ++k) sum += c.image[ch * per_channel + k];
      const double mean = sum / static_cast<double>(per_channel);
      for (std::size_t k = 0; k < per_channel; ++k) {
        const double dev = c.image[ch * per_channel + k] - mean;
        squares += dev * dev;
      }
      means.push_back(fmt::format("{:.2f}", mean));
      stds.push_back(fmt::format("{:.2f}", std::sqrt(squares / static_cast<double>(per_channel))));
    }
    std::error_code ec;
    const auto bytes = fs::file_size(image_path, ec);
    meter.finished(name, ec ? 0 : bytes,
                   fmt::format(": raw {} crop z {}..{} y {}..{} x {}..{} -> saved {} mean [{}] "
                               "std [{}]",
                               shape_text(c.raw_shape), c.foreground.begin[0], c.foreground.end[0],
                               c.foreground.begin[1], c.foreground.end[1], c.foreground.begin[2],
                               c.foreground.end[2], shape_text(c.image_shape),
                               fmt::join(means, " "), fmt::join(stds, " ")));
  });
  BratsPreprocessReport report;
  for (const MsdTrainingPair& pair : dataset.training) {
    const std::string name = msd_case_name(pair.image);
    report.written_files.push_back(name + "_x.npy");
    report.written_files.push_back(name + "_y.npy");
    ++report.cases_written;
  }
  for (const char kept : resumed) report.cases_resumed += kept;
  report.config = write_brats_config(results_dir, options, dataset.n_class(), contract.channels);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  fmt::print(progress,
             "Preprocessed {} case(s){} into {} in {:.1f} s: patch {} x {}, n_class {}, "
             "in_channels {}; wrote {}\n",
             report.cases_written,
             report.cases_resumed > 0
                 ? fmt::format(" ({} kept from an earlier run)", report.cases_resumed)
                 : std::string(),
             results_dir.string(), seconds, options.patch_size[0], options.patch_size[1],
             dataset.n_class(), contract.channels, report.config.string());
  return report;
}

}  // namespace segbench::prep
