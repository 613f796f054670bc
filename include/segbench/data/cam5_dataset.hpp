// DeepCAM climate samples as a Dataset (tensor tier): the HDF5 files of the reference layout
// (Cam5Hdf5Dataset) or the .npy pairs written by cam5-convert (Cam5NpyDataset). Both yield
//   image float32 (C, H, W): scale[c] * (x - shift[c]) in float32 with shift = minval and
//         scale = 1 / (maxval - minval) from stats.h5, then HWC -> CHW (cam_hdf5_dataset.py);
//   label uint8 (1, H, W) with classes 0 background, 1 tropical cyclone, 2 atmospheric river;
//   case_id the file stem.
// Every read is validated (shapes, finite values of the selected channels, labels in
// {0, 1, 2}); failures throw DataError naming the file and the dataset. get() may be called
// from several threads at once.
#pragma once

#include "segbench/concepts/dataset.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace segbench {

/// The *.h5 samples of a directory, sorted by name (every *.h5 is a sample, as the reference).
/// DataError naming the directory when it is missing or has none.
std::vector<std::filesystem::path> list_cam5_samples(const std::filesystem::path& dir);

/// The data .npy files of a converted directory (every *.npy not starting with "label-"),
/// sorted by name. DataError naming the directory when it is missing or has none.
std::vector<std::filesystem::path> list_cam5_npy_samples(const std::filesystem::path& dir);

/// All 16 CAM5 channels, the reference's default --channels.
std::vector<int> all_cam5_channels();

namespace detail {

/// What both CAM5 datasets apply to every sample: the selected channels and their min-max
/// scaling from stats.h5 (read once, at construction).
struct Cam5ChannelScaling {
  std::filesystem::path stats_path;
  std::vector<int> channels;
  std::size_t stats_channels = 0;  ///< channel count stats.h5 describes
  std::vector<float> shift, scale;
};

}  // namespace detail

class Cam5Hdf5Dataset {
 public:
  /// Reads minval/maxval for `channels` from `stats_path` at once (DataError when missing,
  /// a channel is out of range or a channel is constant); the stats channel count is checked
  /// against each file's climate/data on read.
  Cam5Hdf5Dataset(std::vector<std::filesystem::path> files, const std::filesystem::path& stats_path,
                  std::vector<int> channels = all_cam5_channels());

  std::size_t size() const { return files_.size(); }
  Sample get(std::size_t i) const;
  std::string case_id(std::size_t i) const;
  const std::filesystem::path& file(std::size_t i) const;
  const std::vector<int>& channels() const { return scaling_.channels; }

 private:
  std::vector<std::filesystem::path> files_;
  detail::Cam5ChannelScaling scaling_;
};

class Cam5NpyDataset {
 public:
  /// `data_files` as from list_cam5_npy_samples; each label file is found next to its data
  /// file by cam5-convert's naming ("data-X.npy" -> "label-X.npy").
  Cam5NpyDataset(std::vector<std::filesystem::path> data_files,
                 const std::filesystem::path& stats_path,
                 std::vector<int> channels = all_cam5_channels());

  std::size_t size() const { return files_.size(); }
  Sample get(std::size_t i) const;
  std::string case_id(std::size_t i) const;
  const std::filesystem::path& file(std::size_t i) const;
  std::filesystem::path label_file(std::size_t i) const;

 private:
  std::vector<std::filesystem::path> files_;
  detail::Cam5ChannelScaling scaling_;
};

static_assert(Dataset<Cam5Hdf5Dataset>);
static_assert(Dataset<Cam5NpyDataset>);

}  // namespace segbench
