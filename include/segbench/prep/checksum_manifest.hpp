// checksum.json: file name → MD5 of the whole file, written after preprocessing and checked by
// verify. No torch here.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace segbench::prep {

/// Every problem found by a verification, one line each; empty when the directory matches.
struct VerifyReport {
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

/// `<results_dir>/checksum.json`.
std::filesystem::path default_manifest_path(const std::filesystem::path& results_dir);

/// Hashes `file_names` (relative to results_dir) and writes the manifest atomically.
void write_checksum_manifest(const std::filesystem::path& results_dir,
                             const std::vector<std::string>& file_names,
                             const std::filesystem::path& manifest);

/// Compares results_dir with the manifest and reports every missing file, every checksum
/// mismatch and every file the manifest does not list (the manifest itself excepted).
/// Throws DataError only when the manifest itself cannot be read or parsed.
VerifyReport verify_kits19_dir(const std::filesystem::path& results_dir,
                               const std::filesystem::path& manifest);
VerifyReport verify_kits19_dir(const std::filesystem::path& results_dir);

}  // namespace segbench::prep
