// Verification of a preprocessed KiTS19 directory (segbench-data kits19-verify), the record a
// match with the official MLCommons table leaves beside the data, and the cheap start-up check
// the 3D U-Net driver makes against that record to decide the submission division.
// No torch here.
#pragma once

#include <filesystem>
#include <string>

#include "segbench/prep/checksum_manifest.hpp"

namespace segbench::prep {

/// Which table a directory was checked against and what came of it.
struct Kits19Verification {
  VerifyReport report;
  std::string table_name;  ///< for messages: "the official MLCommons KiTS19 table", a file, ...
  bool official = false;   ///< the table was the official one (embedded or an identical file)
  bool synthetic = false;  ///< checked against the manifest of synthetic data
};

/// Checks `results_dir` and reports every problem at once.
/// - `checksums` given: against that file (the upstream flat table or a segbench manifest);
///   it counts as official when its entries equal the embedded official table.
/// - otherwise, when `<results_dir>/segbench_manifest.json` says the data is synthetic: against
///   that manifest (synthetic data can never match the official table);
/// - otherwise against the embedded official table (420 files).
/// Against an official table, a match writes `segbench_verified.json` (atomically) and a
/// mismatch removes a stale one. Throws DataError only when a table cannot be read. `jobs`
/// files are hashed at a time (0: every core).
Kits19Verification verify_kits19_dir(const std::filesystem::path& results_dir,
                                     const std::filesystem::path& checksums = {}, int jobs = 1);

/// Whether `results_dir` holds the official KiTS19 data, judged without hashing 30 GB: a
/// `segbench_verified.json` for the embedded table whose every file still has the size and
/// modification time recorded when kits19-verify hashed it, and no other case file.
struct OfficialDataStatus {
  bool official = false;
  std::string reason;  ///< why not, naming the file and the command that fixes it
};
OfficialDataStatus kits19_official_status(const std::filesystem::path& results_dir);

}  // namespace segbench::prep
