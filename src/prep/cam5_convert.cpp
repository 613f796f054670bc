#include "segbench/prep/cam5_convert.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <system_error>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/npy.hpp"

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

}  // namespace

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
                                         std::ostream* progress) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_directory(input_root, ec), DataError, "{}: no such directory",
                 input_root.string());
  Cam5ConvertReport report;
  bool any_split = false;
  for (const char* split : {"train", "validation", "test"}) {
    const fs::path dir = input_root / split;
    if (!fs::is_directory(dir, ec)) continue;
    any_split = true;
    const std::vector<fs::path> files = io::list_h5_files(dir);
    for (std::size_t k = 0; k < files.size(); ++k) {
      convert_cam5_sample(files[k], output_root / split);
      ++report.samples;
      if (progress)
        fmt::print(*progress, "[{} {}/{}] {} -> {}, {}\n", split, k + 1, files.size(),
                   files[k].filename().string(), cam5_data_npy_name(files[k]),
                   cam5_label_npy_name(files[k]));
    }
  }
  SEGBENCH_CHECK(any_split, DataError,
                 "{}: expected train/, validation/ or test/ subdirectories of *.h5 samples, found "
                 "none",
                 input_root.string());
  const fs::path stats = input_root / "stats.h5";
  if (fs::is_regular_file(stats, ec)) {
    const fs::path temp = io::temporary_sibling(output_root / "stats.h5", ".h5");
    fs::copy_file(stats, temp, fs::copy_options::overwrite_existing, ec);
    SEGBENCH_CHECK(!ec, DataError, "{}: cannot copy to {}: {}", stats.string(), temp.string(),
                   ec.message());
    io::move_into_place(temp, output_root / "stats.h5");
    report.copied_stats = true;
  }
  if (progress)
    fmt::print(*progress, "converted {} samples into {}{}\n", report.samples, output_root.string(),
               report.copied_stats ? " (stats.h5 copied)" : " (no stats.h5 in the input)");
  return report;
}

}  // namespace segbench::prep
