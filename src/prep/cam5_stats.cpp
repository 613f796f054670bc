#include "segbench/prep/cam5_stats.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <array>
#include <limits>
#include <ostream>

#include "segbench/error.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

std::vector<float> to_float32(const std::vector<double>& values) {
  return {values.begin(), values.end()};
}

io::H5Array<double> read_channel_vector(const io::H5Reader& file, const char* dataset) {
  SEGBENCH_CHECK(file.has_dataset(dataset), DataError, "{}: dataset {}: not found in the file",
                 file.path().string(), dataset);
  io::H5Array<double> array = file.read_float64(dataset);
  SEGBENCH_CHECK(array.shape.size() == 1, DataError,
                 "{}: dataset {}: expected shape (C,), found {}", file.path().string(), dataset,
                 io::shape_string(array.shape));
  return array;
}

}  // namespace

Cam5Stats compute_cam5_stats(const fs::path& train_dir, std::ostream* progress) {
  const std::vector<fs::path> files = io::list_h5_files(train_dir);
  Cam5Stats stats;
  std::vector<double> sum, sqsum;
  std::size_t channels = 0;
  double pixels = 0;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const io::H5Reader file(files[f]);
    const io::H5Array<float> data = file.read_float32("climate/data");
    SEGBENCH_CHECK(data.shape.size() == 3 && data.shape[2] > 0, DataError,
                   "{}: dataset climate/data: expected shape (H, W, C), found {}",
                   files[f].string(), io::shape_string(data.shape));
    if (f == 0) {
      channels = data.shape[2];
      sum.assign(channels, 0.0);
      sqsum.assign(channels, 0.0);
      stats.minval.assign(channels, std::numeric_limits<double>::infinity());
      stats.maxval.assign(channels, -std::numeric_limits<double>::infinity());
    }
    SEGBENCH_CHECK(data.shape[2] == channels, DataError,
                   "{}: dataset climate/data: has {} channels, but {} has {}", files[f].string(),
                   data.shape[2], files[0].string(), channels);
    for (std::size_t k = 0; k < data.values.size(); k += channels) {
      for (std::size_t c = 0; c < channels; ++c) {
        const double v = data.values[k + c];
        sum[c] += v;
        sqsum[c] += v * v;
        stats.minval[c] = std::min(stats.minval[c], v);
        stats.maxval[c] = std::max(stats.maxval[c], v);
      }
    }
    pixels += static_cast<double>(data.values.size() / channels);
    ++stats.count;
    if (progress)
      fmt::print(*progress, "[{}/{}] {}\n", f + 1, files.size(), files[f].filename().string());
  }
  stats.mean.resize(channels);
  stats.sqmean.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    stats.mean[c] = sum[c] / pixels;
    stats.sqmean[c] = sqsum[c] / pixels;
  }
  return stats;
}

void write_cam5_stats(const fs::path& path, const Cam5Stats& stats) {
  io::H5Writer writer(path);
  const std::array<std::size_t, 1> shape{stats.minval.size()};
  const std::array<std::int64_t, 1> count{stats.count};
  writer.write("climate/count", std::span<const std::size_t>(),
               std::span<const std::int64_t>(count));
  writer.write("climate/mean", shape, std::span<const float>(to_float32(stats.mean)));
  writer.write("climate/sqmean", shape, std::span<const float>(to_float32(stats.sqmean)));
  writer.write("climate/minval", shape, std::span<const float>(to_float32(stats.minval)));
  writer.write("climate/maxval", shape, std::span<const float>(to_float32(stats.maxval)));
  writer.commit();
}

Cam5MinMax read_cam5_stats(const fs::path& path, const std::vector<int>& channels,
                           std::size_t expected_channels) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_regular_file(path, ec), DataError,
                 "{}: stats file not found (write it with segbench-data cam5-stats)",
                 path.string());
  const io::H5Reader file(path);
  const io::H5Array<double> minval = read_channel_vector(file, "climate/minval");
  const io::H5Array<double> maxval = read_channel_vector(file, "climate/maxval");
  const std::size_t count = minval.values.size();
  SEGBENCH_CHECK(maxval.values.size() == count, DataError,
                 "{}: dataset climate/maxval: has {} channels but climate/minval has {}",
                 path.string(), maxval.values.size(), count);
  SEGBENCH_CHECK(expected_channels == 0 || count == expected_channels, DataError,
                 "{}: dataset climate/minval: has {} channels, expected {} (the channel count of "
                 "climate/data)",
                 path.string(), count, expected_channels);
  Cam5MinMax result;
  result.dtype = minval.stored;
  result.channel_count = count;
  for (int c : channels) {
    SEGBENCH_CHECK(c >= 0 && static_cast<std::size_t>(c) < count, DataError,
                   "{}: dataset climate/minval: channel {} selected, but the file has {} channels",
                   path.string(), c, count);
    const double lo = minval.values[static_cast<std::size_t>(c)];
    const double hi = maxval.values[static_cast<std::size_t>(c)];
    SEGBENCH_CHECK(hi > lo, DataError,
                   "{}: dataset climate/maxval: channel {} has maxval {} <= minval {} (a constant "
                   "channel cannot be min-max normalised)",
                   path.string(), c, hi, lo);
    result.minval.push_back(lo);
    result.maxval.push_back(hi);
  }
  return result;
}

Cam5Normalization cam5_normalization(const Cam5MinMax& stats) {
  Cam5Normalization n;
  const bool single = stats.dtype != io::H5Dtype::float64;
  for (std::size_t k = 0; k < stats.minval.size(); ++k) {
    if (single) {  // numpy float32 arithmetic: 1. / (maxval - minval) stays float32
      const auto lo = static_cast<float>(stats.minval[k]);
      const auto hi = static_cast<float>(stats.maxval[k]);
      n.shift.push_back(lo);
      n.scale.push_back(1.0f / (hi - lo));
    } else {
      n.shift.push_back(static_cast<float>(stats.minval[k]));
      n.scale.push_back(static_cast<float>(1.0 / (stats.maxval[k] - stats.minval[k])));
    }
  }
  return n;
}

}  // namespace segbench::prep
