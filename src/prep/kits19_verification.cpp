#include "segbench/prep/kits19_verification.hpp"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/prep/kits19_official_checksums.hpp"
#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kOfficialName = "the official MLCommons KiTS19 checksums";

int64_t mtime_ticks(const fs::path& file) {
  return static_cast<int64_t>(fs::last_write_time(file).time_since_epoch().count());
}

fs::path record_path(const fs::path& dir) {
  return dir / kVerificationRecordName;
}

// {"table_md5": ..., "files": {name: {"size": n, "mtime": ticks}}}: what the start-up check
// compares with the directory instead of hashing it again.
void write_record(const fs::path& dir, const ChecksumTable& table) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, md5] : table) {
    const fs::path file = dir / name;
    files[name] = {{"size", fs::file_size(file)}, {"mtime", mtime_ticks(file)}};
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const nlohmann::json record = {{"table",
                                  "mlcommons/training retired_benchmarks/unet3d/pytorch/"
                                  "checksum.json"},
                                 {"table_md5", kits19_official_checksums_md5()},
                                 {"verified_at_unix_s", now},
                                 {"files", files}};
  io::write_text_atomically(record_path(dir), record.dump(1) + '\n');
}

}  // namespace

Kits19Verification verify_kits19_dir(const fs::path& results_dir, const fs::path& checksums,
                                     int jobs) {
  Kits19Verification v;
  ChecksumTable table;
  if (!checksums.empty()) {
    table = read_checksum_table(checksums);
    v.table_name = checksums.string();
    v.official = table == kits19_official_checksums();
  } else if (const auto manifest = read_checksum_manifest(default_manifest_path(results_dir));
             manifest && manifest->synthetic) {
    table = manifest->files;
    v.table_name = default_manifest_path(results_dir).string();
    v.synthetic = true;
  } else {
    table = kits19_official_checksums();
    v.table_name = std::string(kOfficialName);
    v.official = true;
  }
  v.report = verify_checksums(results_dir, table, v.table_name, checksums, resolve_jobs(jobs));
  if (v.official) {
    if (v.report.ok()) {
      write_record(results_dir, table);
    } else {
      std::error_code ignored;
      fs::remove(record_path(results_dir), ignored);
    }
  }
  return v;
}

OfficialDataStatus kits19_official_status(const fs::path& results_dir) {
  const fs::path path = record_path(results_dir);
  const std::string fix =
      fmt::format("run segbench-data kits19-verify --results_dir {}", results_dir.string());
  std::ifstream in(path);
  if (!in.is_open()) {
    return {false, fmt::format("{} not found: the data has not been verified against {} ({})",
                               path.string(), kOfficialName, fix)};
  }
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return {false, fmt::format("{}: not valid JSON ({}); {}", path.string(), e.what(), fix)};
  }
  if (!record.is_object() || record.value("table_md5", "") != kits19_official_checksums_md5() ||
      !record.contains("files") || !record["files"].is_object()) {
    return {false, fmt::format("{}: written for another checksum table; {}", path.string(), fix)};
  }
  const nlohmann::json& files = record["files"];
  for (const auto& [name, md5] : kits19_official_checksums()) {
    const fs::path file = results_dir / name;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || !files.contains(name)) {
      return {false, fmt::format("{}: missing since {} was written; {}", file.string(),
                                 kVerificationRecordName, fix)};
    }
    const nlohmann::json& seen = files[name];
    if (seen.value("size", uint64_t{0}) != size ||
        seen.value("mtime", int64_t{0}) != mtime_ticks(file)) {
      return {false, fmt::format("{}: changed (size or modification time) since {} was written; {}",
                                 file.string(), kVerificationRecordName, fix)};
    }
  }
  for (const auto& entry : fs::directory_iterator(results_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".npy") && kits19_official_checksums().count(name) == 0) {
      return {false, fmt::format("{}: not a file of the official KiTS19 data", name)};
    }
  }
  return {true, ""};
}

}  // namespace segbench::prep
