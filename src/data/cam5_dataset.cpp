#include "segbench/data/cam5_dataset.hpp"

#include "segbench/data/npy_tensor.hpp"

#include <ATen/ops/empty.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>

#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_stats.hpp"

namespace segbench {
namespace {

namespace fs = std::filesystem;

/// Where a sample's arrays came from, for messages: "<file>: dataset climate/data".
struct Source {
  fs::path data_file;
  std::string data_name;
  fs::path label_file;
  std::string label_name;
};

template <class LabelT>
Sample assemble(const Source& src, std::span<const std::size_t> data_shape, const float* data,
                std::span<const std::size_t> label_shape, const LabelT* labels,
                const detail::Cam5ChannelScaling& norm, std::string case_id) {
  SEGBENCH_CHECK(data_shape.size() == 3, DataError, "{}: {}: expected shape (H, W, C), found {}",
                 src.data_file.string(), src.data_name, io::shape_string(data_shape));
  const std::size_t h = data_shape[0], w = data_shape[1], c_in = data_shape[2];
  const int max_channel = *std::max_element(norm.channels.begin(), norm.channels.end());
  SEGBENCH_CHECK(c_in > static_cast<std::size_t>(max_channel), DataError,
                 "{}: {}: expected shape (H, W, C) with C >= {} (channel {} selected), found {}",
                 src.data_file.string(), src.data_name, max_channel + 1, max_channel,
                 io::shape_string(data_shape));
  SEGBENCH_CHECK(norm.stats_channels == c_in, DataError,
                 "{}: dataset climate/minval: has {} channels, but {}: {} has {} (shape {})",
                 norm.stats_path.string(), norm.stats_channels, src.data_file.string(),
                 src.data_name, c_in, io::shape_string(data_shape));
  SEGBENCH_CHECK(label_shape.size() == 2 && label_shape[0] == h && label_shape[1] == w, DataError,
                 "{}: {}: expected shape ({}, {}) to match the data {}, found {}",
                 src.label_file.string(), src.label_name, h, w, io::shape_string(data_shape),
                 io::shape_string(label_shape));

  const auto hw = static_cast<std::int64_t>(h * w);
  const auto channels = static_cast<std::int64_t>(norm.channels.size());
  at::Tensor image =
      at::empty({channels, static_cast<std::int64_t>(h), static_cast<std::int64_t>(w)},
                at::TensorOptions().dtype(at::kFloat));
  float* out = image.data_ptr<float>();
  for (std::int64_t k = 0; k < channels; ++k) {
    const auto c = static_cast<std::size_t>(norm.channels[static_cast<std::size_t>(k)]);
    const float shift = norm.shift[static_cast<std::size_t>(k)];
    const float scale = norm.scale[static_cast<std::size_t>(k)];
    float* plane = out + k * hw;
    for (std::int64_t p = 0; p < hw; ++p) {
      const float x = data[static_cast<std::size_t>(p) * c_in + c];
      if (!std::isfinite(x)) {
        throw DataError(
            fmt::format("{}: {}: non-finite value {} at (row {}, column {}, channel {})",
                        src.data_file.string(), src.data_name, x, p / static_cast<std::int64_t>(w),
                        p % static_cast<std::int64_t>(w), c));
      }
      const float centred = x - shift;
      plane[p] = scale * centred;
    }
  }

  at::Tensor label = at::empty({1, static_cast<std::int64_t>(h), static_cast<std::int64_t>(w)},
                               at::TensorOptions().dtype(at::kByte));
  std::uint8_t* label_out = label.data_ptr<std::uint8_t>();
  for (std::int64_t p = 0; p < hw; ++p) {
    const auto value = static_cast<std::int64_t>(labels[p]);
    if (value < 0 || value > 2) {
      throw DataError(fmt::format("{}: {}: label {} at (row {}, column {}), expected 0, 1 or 2",
                                  src.label_file.string(), src.label_name, value,
                                  p / static_cast<std::int64_t>(w),
                                  p % static_cast<std::int64_t>(w)));
    }
    label_out[p] = static_cast<std::uint8_t>(value);
  }
  return {std::move(image), std::move(label), std::move(case_id)};
}

detail::Cam5ChannelScaling load_channel_scaling(const fs::path& stats_path,
                                                std::vector<int> channels) {
  SEGBENCH_CHECK(!channels.empty(), ConfigError, "cam5 dataset: expected at least one channel");
  const prep::Cam5MinMax stats = prep::read_cam5_stats(stats_path, channels);
  prep::Cam5Normalization norm = prep::cam5_normalization(stats);
  return {stats_path, std::move(channels), stats.channel_count, std::move(norm.shift),
          std::move(norm.scale)};
}

/// Labels of a .npy file as int64 with a check for integral values (any numeric dtype).
std::vector<std::int64_t> npy_labels(const io::NpyArray& array, const fs::path& path) {
  const std::size_t n = array.numel();
  std::vector<std::int64_t> values(n);
  const auto convert = [&](const auto* src) {
    for (std::size_t k = 0; k < n; ++k) {
      const double v = static_cast<double>(src[k]);
      SEGBENCH_CHECK(std::isfinite(v) && v == std::trunc(v), DataError,
                     "{}: labels: expected integer values, found {} at flat index {}",
                     path.string(), v, k);
      values[k] = static_cast<std::int64_t>(v);
    }
  };
  switch (array.dtype) {
    case io::NpyDtype::uint8:
      convert(array.data<std::uint8_t>());
      break;
    case io::NpyDtype::int8:
      convert(array.data<std::int8_t>());
      break;
    case io::NpyDtype::uint16:
      convert(array.data<std::uint16_t>());
      break;
    case io::NpyDtype::int16:
      convert(array.data<std::int16_t>());
      break;
    case io::NpyDtype::int32:
      convert(array.data<std::int32_t>());
      break;
    case io::NpyDtype::int64:
      convert(array.data<std::int64_t>());
      break;
    case io::NpyDtype::float32:
      convert(array.data<float>());
      break;
    case io::NpyDtype::float64:
      convert(array.data<double>());
      break;
    default:
      throw DataError(fmt::format("{}: labels: unsupported dtype {}, expected an integer type",
                                  path.string(), io::to_string(array.dtype)));
  }
  return values;
}

}  // namespace

std::vector<fs::path> list_cam5_samples(const fs::path& dir) {
  return io::list_h5_files(dir);
}

std::vector<fs::path> list_cam5_npy_samples(const fs::path& dir) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_directory(dir, ec), DataError, "{}: no such directory", dir.string());
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".npy") && !name.starts_with("label-") && entry.is_regular_file(ec))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  SEGBENCH_CHECK(!files.empty(), DataError, "{}: no data *.npy files found (empty directory?)",
                 dir.string());
  return files;
}

std::vector<int> all_cam5_channels() {
  std::vector<int> channels(16);
  std::iota(channels.begin(), channels.end(), 0);
  return channels;
}

Cam5Hdf5Dataset::Cam5Hdf5Dataset(std::vector<fs::path> files, const fs::path& stats_path,
                                 std::vector<int> channels)
    : files_(std::move(files)), scaling_(load_channel_scaling(stats_path, std::move(channels))) {}

const fs::path& Cam5Hdf5Dataset::file(std::size_t i) const {
  SEGBENCH_CHECK(i < files_.size(), DataError, "Cam5Hdf5Dataset: index {} out of range (size {})",
                 i, files_.size());
  return files_[i];
}

std::string Cam5Hdf5Dataset::case_id(std::size_t i) const {
  return file(i).stem().string();
}

Sample Cam5Hdf5Dataset::get(std::size_t i) const {
  const fs::path& path = file(i);
  const io::H5Reader reader(path);
  const io::H5Array<float> data = reader.read_float32("climate/data");
  const io::H5Array<std::int64_t> labels = reader.read_int64("climate/labels_0");
  const Source source{path, "dataset climate/data", path, "dataset climate/labels_0"};
  Sample sample = assemble(source, data.shape, data.values.data(), labels.shape,
                           labels.values.data(), scaling_, case_id(i));
  require_finite(sample.image, path, "dataset climate/data");
  return sample;
}

Cam5NpyDataset::Cam5NpyDataset(std::vector<fs::path> data_files, const fs::path& stats_path,
                               std::vector<int> channels)
    : files_(std::move(data_files)),
      scaling_(load_channel_scaling(stats_path, std::move(channels))) {}

const fs::path& Cam5NpyDataset::file(std::size_t i) const {
  SEGBENCH_CHECK(i < files_.size(), DataError, "Cam5NpyDataset: index {} out of range (size {})", i,
                 files_.size());
  return files_[i];
}

fs::path Cam5NpyDataset::label_file(std::size_t i) const {
  const fs::path& data = file(i);
  return data.parent_path() / prep::cam5_label_npy_name(data);
}

std::string Cam5NpyDataset::case_id(std::size_t i) const {
  return file(i).stem().string();
}

Sample Cam5NpyDataset::get(std::size_t i) const {
  const fs::path& path = file(i);
  const fs::path label_path = label_file(i);
  const io::NpyArray data = io::read_npy(path);
  SEGBENCH_CHECK(data.dtype == io::NpyDtype::float32, DataError,
                 "{}: data: expected dtype float32, found {}", path.string(),
                 io::to_string(data.dtype));
  const io::NpyArray labels = io::read_npy(label_path);
  const std::vector<std::int64_t> label_values = npy_labels(labels, label_path);
  const Source source{path, "data", label_path, "labels"};
  Sample sample = assemble(source, data.shape, data.data<float>(), labels.shape,
                           label_values.data(), scaling_, case_id(i));
  require_finite(sample.image, path, "the data");
  return sample;
}

}  // namespace segbench
