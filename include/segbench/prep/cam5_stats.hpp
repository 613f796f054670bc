// Per-channel statistics of a CAM5 train directory (stats.h5) and the normalisation the
// reference derives from them. No torch here.
//
// stats.h5 layout (as the submitters' summarize_data.py writes it): group `climate` with
// `count` (int64 scalar: number of files), and per channel (channels last) `minval`, `maxval`,
// `mean`, `sqmean` (float32, shape (C,)). Each file's sums are taken in float64 over its pixels,
// then the files' sums are added in file-name order: the result is the same bits whatever the
// number of jobs or MPI ranks. The reference averages per-file float32 means, which differs in
// the last bits only. A NaN or infinite value is an error naming the file and the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "segbench/io/hdf5.hpp"
#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {

struct Cam5Stats {
  std::int64_t count = 0;  ///< number of files
  std::vector<double> minval, maxval, mean, sqmean;
};

/// How messages name a channel of climate/data: "TMQ (channel 0)" when there are the 16 CAM5
/// channels, otherwise "channel 3".
std::string cam5_field_name(std::size_t channel, std::size_t channels);

/// One file's share: float64 sums over its pixels, per channel.
struct Cam5FileStats {
  std::uint64_t pixels = 0;
  std::vector<double> sum, sqsum, minval, maxval;

  /// Flat form for MPI: [pixels, sum..., sqsum..., minval..., maxval...] (1 + 4 C doubles).
  std::vector<double> pack() const;
  static Cam5FileStats unpack(std::span<const double> packed, std::size_t channels);
};

/// The sums of one sample. DataError naming the file and dataset when climate/data is missing
/// or not (H, W, C), and naming the file and the field (CAM5 channel name) for NaN or Inf.
Cam5FileStats cam5_file_stats(const std::filesystem::path& file);
/// The sums of climate/data values already read and checked finite ((H, W, C), channels last).
Cam5FileStats cam5_file_stats_of(std::span<const float> values, std::size_t channels);

/// Adds the files' sums in the given order (file-name order). DataError naming the file whose
/// channel count differs from the first file's.
Cam5Stats combine_cam5_stats(std::span<const Cam5FileStats> per_file,
                             std::span<const std::filesystem::path> files);

/// The shares of the files `share` owns (share.indices(files.size())), in that order, `jobs`
/// files at a time; progress counts this rank's files.
std::vector<Cam5FileStats> compute_cam5_file_stats(std::span<const std::filesystem::path> files,
                                                   const RankShare& share, int jobs,
                                                   std::ostream* progress = nullptr);

/// Statistics over every *.h5 sample in `train_dir` (sorted; DataError naming the directory
/// when there is none, and the errors of cam5_file_stats / combine_cam5_stats), `jobs` files
/// at a time (0: every core); the result does not depend on `jobs`.
Cam5Stats compute_cam5_stats(const std::filesystem::path& train_dir,
                             std::ostream* progress = nullptr, int jobs = 1);

/// Writes stats.h5 atomically.
void write_cam5_stats(const std::filesystem::path& path, const Cam5Stats& stats);

/// minval/maxval of the selected channels, as read from stats.h5.
struct Cam5MinMax {
  std::vector<double> minval, maxval;  ///< selected channels, values as stored
  io::H5Dtype dtype = io::H5Dtype::float32;
  std::size_t channel_count = 0;  ///< channels in the file (before selection)
};

/// Reads climate/minval and climate/maxval. DataError naming the file and dataset when the file
/// or a dataset is missing, not 1-D, the two lengths differ, a selected channel is out of range,
/// or maxval <= minval for a selected channel. With `expected_channels` > 0 the channel count
/// must equal it (the C of the data files).
Cam5MinMax read_cam5_stats(const std::filesystem::path& path, const std::vector<int>& channels,
                           std::size_t expected_channels = 0);

/// The reference's per-channel shift and scale (cam_hdf5_dataset.py): shift = minval and
/// scale = 1 / (maxval - minval), both computed in the stored precision and then cast to
/// float32; a sample is normalised as scale * (x - shift) in float32.
struct Cam5Normalization {
  std::vector<float> shift, scale;
};
Cam5Normalization cam5_normalization(const Cam5MinMax& stats);

}  // namespace segbench::prep
