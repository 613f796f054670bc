#include "segbench/prep/cam5_convert.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <system_error>
#include <utility>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/npy_header.hpp"
#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

/// Writes int64 label values as `dtype` (values fit: they came from a dataset of that type).
template <class T>
void write_labels_as(const fs::path& path, io::NpyDtype dtype, std::span<const std::size_t> shape,
                     const std::vector<std::int64_t>& values) {
  const std::vector<T> narrowed(values.begin(), values.end());
  io::write_npy(path, dtype, shape, narrowed.data());
}

/// numpy's descr of the label .npy written for labels stored as `stored`.
std::string label_descr(io::H5Dtype stored) {
  switch (stored) {
    case io::H5Dtype::uint8:
      return "|u1";
    case io::H5Dtype::int8:
      return "|i1";
    case io::H5Dtype::uint16:
      return "<u2";
    case io::H5Dtype::int16:
      return "<i2";
    case io::H5Dtype::int32:
      return "<i4";
    default:
      return "<i8";
  }
}

}  // namespace

bool cam5_sample_converted(const fs::path& sample, const fs::path& out_dir) {
  const io::H5Reader file(sample);
  if (!file.has_dataset("climate/data") || !file.has_dataset("climate/labels_0")) return false;
  const io::H5DatasetInfo data = file.info("climate/data");
  const io::H5DatasetInfo labels = file.info("climate/labels_0");
  return npy_file_matches(out_dir / cam5_data_npy_name(sample), "<f4", data.shape) &&
         npy_file_matches(out_dir / cam5_label_npy_name(sample), label_descr(labels.dtype),
                          labels.shape);
}

std::string cam5_data_npy_name(const fs::path& sample) {
  return sample.stem().string() + ".npy";
}

std::string cam5_label_npy_name(const fs::path& sample) {
  const std::string stem = sample.stem().string();
  return "label-" + (stem.starts_with("data-") ? stem.substr(5) : stem) + ".npy";
}

void convert_cam5_sample(const fs::path& sample, const fs::path& out_dir) {
  const io::H5Reader file(sample);
  const io::H5Array<float> data = file.read_float32("climate/data");
  SEGBENCH_CHECK(data.shape.size() == 3, DataError,
                 "{}: dataset climate/data: expected shape (H, W, C), found {}", sample.string(),
                 io::shape_string(data.shape));
  const io::H5Array<std::int64_t> labels = file.read_int64("climate/labels_0");
  SEGBENCH_CHECK(labels.shape.size() == 2 && labels.shape[0] == data.shape[0] &&
                     labels.shape[1] == data.shape[1],
                 DataError, "{}: dataset climate/labels_0: expected shape ({}, {}), found {}",
                 sample.string(), data.shape[0], data.shape[1], io::shape_string(labels.shape));
  fs::create_directories(out_dir);
  io::write_npy(out_dir / cam5_data_npy_name(sample), io::NpyDtype::float32, data.shape,
                data.values.data());
  const fs::path label_path = out_dir / cam5_label_npy_name(sample);
  switch (labels.stored) {
    case io::H5Dtype::uint8:
      write_labels_as<std::uint8_t>(label_path, io::NpyDtype::uint8, labels.shape, labels.values);
      break;
    case io::H5Dtype::int8:
      write_labels_as<std::int8_t>(label_path, io::NpyDtype::int8, labels.shape, labels.values);
      break;
    case io::H5Dtype::uint16:
      write_labels_as<std::uint16_t>(label_path, io::NpyDtype::uint16, labels.shape, labels.values);
      break;
    case io::H5Dtype::int16:
      write_labels_as<std::int16_t>(label_path, io::NpyDtype::int16, labels.shape, labels.values);
      break;
    case io::H5Dtype::int32:
      write_labels_as<std::int32_t>(label_path, io::NpyDtype::int32, labels.shape, labels.values);
      break;
    default:
      io::write_npy(label_path, io::NpyDtype::int64, labels.shape, labels.values.data());
      break;
  }
}

Cam5ConvertReport convert_cam5_directory(const fs::path& input_root, const fs::path& output_root,
                                         std::ostream* progress, int jobs, const RankShare& share) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_directory(input_root, ec), DataError, "{}: no such directory",
                 input_root.string());
  Cam5ConvertReport report;
  // One flat list over the splits, so that the jobs stay busy across split boundaries.
  std::vector<std::pair<fs::path, fs::path>> work;  // (sample, output directory)
  bool any_split = false;
  for (const char* split : {"train", "validation", "test"}) {
    const fs::path dir = input_root / split;
    if (!fs::is_directory(dir, ec)) continue;
    any_split = true;
    std::error_code mkdir_ec;  // several ranks may create it at once
    fs::create_directories(output_root / split, mkdir_ec);
    SEGBENCH_CHECK(fs::is_directory(output_root / split), DataError, "{}: cannot create: {}",
                   (output_root / split).string(), mkdir_ec.message());
    for (const fs::path& file : io::list_h5_files(dir))
      work.emplace_back(file, output_root / split);
  }
  SEGBENCH_CHECK(any_split, DataError,
                 "{}: expected train/, validation/ or test/ subdirectories of *.h5 samples, found "
                 "none",
                 input_root.string());
  // Resuming: outputs are written atomically, so a sample whose two files are there with the
  // right header and size was finished by an earlier run and is skipped.
  const std::vector<std::size_t> owned = share.indices(work.size());
  std::vector<char> finished(owned.size(), 0);  // checked on the jobs: a header read per sample
  for_each_index(owned.size(), resolve_jobs(jobs), [&](std::size_t m) {
    finished[m] = cam5_sample_converted(work[owned[m]].first, work[owned[m]].second) ? 1 : 0;
  });
  std::vector<std::size_t> mine;
  for (std::size_t m = 0; m < owned.size(); ++m) {
    if (finished[m])
      ++report.skipped;
    else
      mine.push_back(owned[m]);
  }
  if (progress && report.skipped > 0)
    fmt::print(*progress, "skipped {} finished sample(s) (their .npy files are complete)\n",
               report.skipped);
  ProgressMeter meter(progress, "cam5-convert", mine.size());
  for_each_index(mine.size(), resolve_jobs(jobs), [&](std::size_t m) {
    const auto& [sample, out_dir] = work[mine[m]];
    convert_cam5_sample(sample, out_dir);
    std::error_code size_ec;
    const auto bytes = fs::file_size(sample, size_ec);
    meter.finished(
        (out_dir.filename() / sample.filename()).string(), size_ec ? 0 : bytes,
        fmt::format(" -> {}, {}", cam5_data_npy_name(sample), cam5_label_npy_name(sample)));
  });
  report.samples = mine.size() + report.skipped;
  if (progress) fmt::print(*progress, "{}\n", meter.summary());
  const fs::path stats = input_root / "stats.h5";
  if (share.rank == 0 && fs::is_regular_file(stats, ec)) {
    io::copy_file_atomically(stats, output_root / "stats.h5");
    report.copied_stats = true;
  }
  if (progress)
    fmt::print(*progress, "converted {} samples into {}{}\n", report.samples, output_root.string(),
               report.copied_stats ? " (stats.h5 copied)" : " (no stats.h5 in the input)");
  return report;
}

}  // namespace segbench::prep
