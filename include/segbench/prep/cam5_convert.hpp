// HDF5 -> .npy conversion of a CAM5 data directory, with the file names of the DeepCAM
// author's convert_hdf52npy.py (azrael417/mlperf-deepcam src/utils/): for a sample
// `data-2000-01-01-00-1.h5` the data go to `data-2000-01-01-00-1.npy` ((H, W, C) float32,
// channels last, as stored; float16/float64 data are converted to float32) and the labels to
// `label-2000-01-01-00-1.npy` ((H, W), the stored integer dtype; uint32/uint64 and floating labels
// become int64). A stem without the "data-" prefix gets "label-" prepended. The train/, validation/
// and test/ subdirectories that exist are converted into the same subdirectories of the output, and
// stats.h5 is copied. No torch here.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {

/// Name of the label .npy for a sample file ("data-X.h5" -> "label-X.npy").
std::string cam5_label_npy_name(const std::filesystem::path& sample);
/// Name of the data .npy for a sample file ("data-X.h5" -> "data-X.npy").
std::string cam5_data_npy_name(const std::filesystem::path& sample);

/// Converts one sample file into `out_dir`. DataError naming the file and dataset when
/// climate/data is not (H, W, C) or climate/labels_0 is not (H, W).
void convert_cam5_sample(const std::filesystem::path& sample, const std::filesystem::path& out_dir);

/// Whether `out_dir` holds both .npy files of `sample` complete, with the dtype and shape the
/// sample's datasets give (headers only): a resumed conversion skips such a sample.
bool cam5_sample_converted(const std::filesystem::path& sample,
                           const std::filesystem::path& out_dir);

struct Cam5ConvertReport {
  std::size_t samples = 0;  ///< this rank's samples, converted or skipped
  std::size_t skipped = 0;  ///< finished by an earlier run (cam5_sample_converted)
  bool copied_stats = false;
};

/// Converts `<input_root>/{train,validation,test}/*.h5` (those present) into the same layout
/// under `output_root` and copies `<input_root>/stats.h5` when present. DataError naming
/// input_root when it has none of the subdirectories. `jobs` samples are converted at a time
/// (0: every core); the files written do not depend on it. A sample already converted (an
/// interrupted run resumed) is skipped. Under MPI each rank converts the
/// samples `share` owns (of the list over train, validation, test) and rank 0 copies stats.h5.
Cam5ConvertReport convert_cam5_directory(const std::filesystem::path& input_root,
                                         const std::filesystem::path& output_root,
                                         std::ostream* progress = nullptr, int jobs = 1,
                                         const RankShare& share = {});

}  // namespace segbench::prep
