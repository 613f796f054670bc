// The Medical Segmentation Decathlon's dataset.json (e.g. Task01_BrainTumour): modality and
// label maps, the training image/label pairs and the test images. No torch here.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace segbench::prep {

/// One `training` entry, paths as written in dataset.json ("./imagesTr/BRATS_001.nii.gz").
struct MsdTrainingPair {
  std::string image;
  std::string label;
};

struct MsdDataset {
  std::filesystem::path json_path;      ///< the dataset.json read
  std::string name;                     ///< "BRATS"
  std::map<int, std::string> modality;  ///< channel → name: 0 "FLAIR", 1 "T1w", 2 "t1gd", 3 "T2w"
  std::map<int, std::string> labels;    ///< value → name: 0 "background", 1 "edema", ...
  int num_training = 0;
  std::vector<MsdTrainingPair> training;
  std::vector<std::string> test;  ///< image paths; empty when the file has no "test" list

  /// The folder holding dataset.json; entry paths are relative to it.
  std::filesystem::path root() const { return json_path.parent_path(); }
  /// root() / relative, normalised ("./imagesTr/x.nii.gz" → "<root>/imagesTr/x.nii.gz").
  std::filesystem::path resolve(const std::string& relative) const;

  std::size_t in_channels() const { return modality.size(); }  ///< len(modality)
  std::size_t n_class() const { return labels.size(); }        ///< len(labels)
};

/// The case name of an entry: its file name without ".nii.gz" / ".nii" ("BRATS_001").
std::string msd_case_name(const std::string& entry_path);

/// Parses `path` (a dataset.json, or a folder holding one). Throws DataError naming the file
/// for unreadable JSON, a missing or mistyped key, modality/label keys that are not 0..n-1,
/// an entry without "image"/"label", or numTraining different from the training list's length.
MsdDataset read_msd_dataset_json(const std::filesystem::path& path);

/// Every listed training image/label (and, with include_test, test image) that does not exist.
std::vector<std::filesystem::path> missing_msd_files(const MsdDataset& dataset,
                                                     bool include_test = false);

/// Throws DataError naming dataset.json, the number of missing files and the first few of them.
void check_msd_files_exist(const MsdDataset& dataset, bool include_test = false);

}  // namespace segbench::prep
