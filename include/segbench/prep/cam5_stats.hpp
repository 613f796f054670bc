// Per-channel statistics of a CAM5 train directory (stats.h5) and the normalisation the
// reference derives from them. No torch here.
//
// stats.h5 layout (as the submitters' summarize_data.py writes it): group `climate` with
// `count` (int64 scalar: number of files), and per channel (channels last) `minval`, `maxval`,
// `mean`, `sqmean` (float32, shape (C,)). We accumulate in float64 over every pixel of every
// file; the reference averages per-file float32 means, which differs in the last bits only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <vector>

#include "segbench/io/hdf5.hpp"

namespace segbench::prep {

struct Cam5Stats {
  std::int64_t count = 0;  ///< number of files
  std::vector<double> minval, maxval, mean, sqmean;
};

/// Statistics over every *.h5 sample in `train_dir` (sorted; DataError naming the directory
/// when there is none, naming the file and dataset when climate/data is missing, not rank 3,
/// or has a different channel count than the first file).
Cam5Stats compute_cam5_stats(const std::filesystem::path& train_dir,
                             std::ostream* progress = nullptr);

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
