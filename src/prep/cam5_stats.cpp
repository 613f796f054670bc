#include "segbench/prep/cam5_stats.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <array>
#include <limits>
#include <ostream>

#include "segbench/error.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "segbench/prep/finite_values.hpp"
#include "segbench/prep/parallel_files.hpp"

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

std::string cam5_field_name(std::size_t channel, std::size_t channels) {
  if (channels == cam5_channel_count)
    return fmt::format("{} (channel {})", cam5_channel_names[channel], channel);
  return fmt::format("channel {}", channel);
}

std::vector<double> Cam5FileStats::pack() const {
  std::vector<double> packed{static_cast<double>(pixels)};
  for (const auto* part : {&sum, &sqsum, &minval, &maxval})
    packed.insert(packed.end(), part->begin(), part->end());
  return packed;
}

Cam5FileStats Cam5FileStats::unpack(std::span<const double> packed, std::size_t channels) {
  SEGBENCH_CHECK(packed.size() == 1 + 4 * channels, DataError,
                 "cam5 stats: expected {} packed values for {} channels, found {}",
                 1 + 4 * channels, channels, packed.size());
  Cam5FileStats s;
  s.pixels = static_cast<std::uint64_t>(packed[0]);
  auto at = packed.begin() + 1;
  for (auto* part : {&s.sum, &s.sqsum, &s.minval, &s.maxval}) {
    part->assign(at, at + static_cast<std::ptrdiff_t>(channels));
    at += static_cast<std::ptrdiff_t>(channels);
  }
  return s;
}

Cam5FileStats cam5_file_stats(const fs::path& file) {
  const io::H5Reader reader(file);
  const io::H5Array<float> data = reader.read_float32("climate/data");
  SEGBENCH_CHECK(data.shape.size() == 3 && data.shape[2] > 0, DataError,
                 "{}: dataset climate/data: expected shape (H, W, C), found {}", file.string(),
                 io::shape_string(data.shape));
  const std::size_t channels = data.shape[2];
  for (std::size_t c = 0; c < channels; ++c) {
    const NonFiniteValues bad = find_non_finite(data.values, c, channels);
    if (!bad.any()) continue;
    const std::size_t pixel = bad.first_index / channels;
    throw DataError(fmt::format(
        "{}: dataset climate/data: field {} holds {}; cam5-stats writes no NaN statistics",
        file.string(), cam5_field_name(c, channels),
        describe_non_finite(
            bad, fmt::format("row {}, column {}", pixel / data.shape[1], pixel % data.shape[1]))));
  }
  return cam5_file_stats_of(data.values, channels);
}

Cam5FileStats cam5_file_stats_of(std::span<const float> values, std::size_t channels) {
  Cam5FileStats s;
  s.pixels = values.size() / channels;
  s.sum.assign(channels, 0.0);
  s.sqsum.assign(channels, 0.0);
  s.minval.assign(channels, std::numeric_limits<double>::infinity());
  s.maxval.assign(channels, -std::numeric_limits<double>::infinity());
  for (std::size_t k = 0; k < values.size(); k += channels) {
    for (std::size_t c = 0; c < channels; ++c) {
      const double v = values[k + c];
      s.sum[c] += v;
      s.sqsum[c] += v * v;
      s.minval[c] = std::min(s.minval[c], v);
      s.maxval[c] = std::max(s.maxval[c], v);
    }
  }
  return s;
}

Cam5Stats combine_cam5_stats(std::span<const Cam5FileStats> per_file,
                             std::span<const fs::path> files) {
  SEGBENCH_CHECK(!per_file.empty() && per_file.size() == files.size(), DataError,
                 "cam5 stats: expected one share per file, found {} shares for {} files",
                 per_file.size(), files.size());
  const std::size_t channels = per_file[0].sum.size();
  // mean and sqmean hold the sums until the division at the end.
  Cam5Stats stats;
  stats.mean.assign(channels, 0.0);
  stats.sqmean.assign(channels, 0.0);
  stats.minval.assign(channels, std::numeric_limits<double>::infinity());
  stats.maxval.assign(channels, -std::numeric_limits<double>::infinity());
  std::uint64_t pixels = 0;
  for (std::size_t f = 0; f < per_file.size(); ++f) {
    const Cam5FileStats& s = per_file[f];
    SEGBENCH_CHECK(s.sum.size() == channels, DataError,
                   "{}: dataset climate/data: has {} channels, but {} has {}", files[f].string(),
                   s.sum.size(), files[0].string(), channels);
    for (std::size_t c = 0; c < channels; ++c) {
      stats.mean[c] += s.sum[c];
      stats.sqmean[c] += s.sqsum[c];
      stats.minval[c] = std::min(stats.minval[c], s.minval[c]);
      stats.maxval[c] = std::max(stats.maxval[c], s.maxval[c]);
    }
    pixels += s.pixels;
    ++stats.count;
  }
  for (std::size_t c = 0; c < channels; ++c) {
    stats.mean[c] /= static_cast<double>(pixels);
    stats.sqmean[c] /= static_cast<double>(pixels);
  }
  return stats;
}

std::vector<Cam5FileStats> compute_cam5_file_stats(std::span<const fs::path> files,
                                                   const RankShare& share, int jobs,
                                                   std::ostream* progress) {
  const std::vector<std::size_t> mine = share.indices(files.size());
  std::vector<Cam5FileStats> shares(mine.size());
  ProgressMeter meter(progress, "cam5-stats", mine.size());
  for_each_index(mine.size(), resolve_jobs(jobs), [&](std::size_t k) {
    const fs::path& file = files[mine[k]];
    shares[k] = cam5_file_stats(file);
    std::error_code ec;
    const auto bytes = fs::file_size(file, ec);
    meter.finished(file.filename().string(), ec ? 0 : bytes);
  });
  if (progress) fmt::print(*progress, "{}\n", meter.summary());
  return shares;
}

Cam5Stats compute_cam5_stats(const fs::path& train_dir, std::ostream* progress, int jobs) {
  const std::vector<fs::path> files = io::list_h5_files(train_dir);
  const std::vector<Cam5FileStats> shares = compute_cam5_file_stats(files, {}, jobs, progress);
  return combine_cam5_stats(shares, files);
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
