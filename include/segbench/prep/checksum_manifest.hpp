// Checksum tables (file name → MD5 of the whole file) and the check of a directory against one:
// the upstream MLCommons KiTS19 table, or segbench's own manifest written beside preprocessed
// data. No torch here.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace segbench::prep {

/// File name (relative to the data directory) → lower-case hex MD5 of the whole file.
using ChecksumTable = std::map<std::string, std::string>;

/// segbench's manifest beside the preprocessed data (what kits19-preprocess wrote). It is not a
/// data file: no verification counts it.
inline constexpr std::string_view kManifestName = "segbench_manifest.json";
/// The record kits19-verify leaves after the official table matched (kits19_verification.hpp).
inline constexpr std::string_view kVerificationRecordName = "segbench_verified.json";
/// The settings a preprocessor wrote its files with: a resumed run keeps earlier files only when
/// they are unchanged.
inline constexpr std::string_view kPreprocessSettingsName = "segbench_preprocess_settings.json";

/// Whether `file_name` is one of segbench's own files beside the data (manifest, record or
/// settings).
bool is_segbench_metadata(std::string_view file_name);

/// segbench's manifest: the files as written, and whether they came from synthetic raw data
/// (segbench-data kits19-synth), i.e. are not the official KiTS19 data whatever they hash to.
struct ChecksumManifest {
  bool synthetic = false;
  ChecksumTable files;
};

/// `<results_dir>/segbench_manifest.json`.
std::filesystem::path default_manifest_path(const std::filesystem::path& results_dir);

/// Hashes `file_names` (relative to results_dir) and writes the manifest atomically:
/// {"format": "segbench-checksum-manifest", "synthetic": bool, "files": {name: md5}};
/// `jobs` files are hashed at a time.
void write_checksum_manifest(const std::filesystem::path& results_dir,
                             const std::vector<std::string>& file_names,
                             const std::filesystem::path& manifest, bool synthetic, int jobs = 1);

/// Parses a table: the upstream flat object {name: md5} or segbench's manifest (its "files").
/// `origin` names the source in errors (DataError).
ChecksumTable parse_checksum_table(std::string_view json_text, const std::string& origin);
ChecksumTable read_checksum_table(const std::filesystem::path& file);
/// segbench's manifest; nullopt when the file does not exist. DataError when it is unreadable
/// or not in segbench's manifest format.
std::optional<ChecksumManifest> read_checksum_manifest(const std::filesystem::path& file);

/// Every problem found by a verification, one line each; empty when the directory matches.
struct VerifyReport {
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

/// Compares `dir` with `table` and reports every problem at once: each listed file missing or
/// with another MD5, then each file of `dir` the table does not list (sorted), except segbench's
/// own metadata and `table_file` itself. `table_name` names the table in the messages. `jobs`
/// files are hashed at a time; the report does not depend on it.
VerifyReport verify_checksums(const std::filesystem::path& dir, const ChecksumTable& table,
                              const std::string& table_name,
                              const std::filesystem::path& table_file = {}, int jobs = 1);

}  // namespace segbench::prep
