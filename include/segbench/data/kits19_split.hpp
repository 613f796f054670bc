// The fixed KiTS19 train/validation split of the MLCommons 3D U-Net benchmark (fidelity §1.2).
// No torch here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace segbench {

/// One preprocessed case: case_XXXXX_x.npy (image) and case_XXXXX_y.npy (label).
struct CaseFiles {
  std::string case_id;  // "case_00003"
  std::filesystem::path image;
  std::filesystem::path label;
};

struct Kits19Split {
  std::vector<CaseFiles> train;
  std::vector<CaseFiles> validation;
};

/// The 42 validation ids of the reference's evaluation_cases.txt ("00000", "00003", ...),
/// compiled in so that nothing is read relative to the working directory.
const std::vector<std::string>& kits19_validation_ids();

/// Pairs every *_x.npy with its *_y.npy in data_dir (sorted by file name) and splits them
/// by the 5-digit id before "_x"/"_y". Throws DataError for an empty directory or listing
/// every file without its partner.
Kits19Split split_kits19_cases(
    const std::filesystem::path& data_dir,
    const std::vector<std::string>& validation_ids = kits19_validation_ids());

}  // namespace segbench
