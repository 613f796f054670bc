#include "segbench/prep/checksum_manifest.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/md5.hpp"
#include "segbench/prep/parallel_files.hpp"

namespace segbench::prep {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kManifestFormat = "segbench-checksum-manifest";

std::string read_text(const fs::path& file, std::string_view what) {
  std::ifstream in(file, std::ios::binary);
  SEGBENCH_CHECK(in.is_open(), DataError, "{}: cannot open {}", file.string(), what);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json parse_json(std::string_view text, const std::string& origin) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: checksum table is not valid JSON: {}", origin, e.what()));
  }
}

ChecksumTable table_from_object(const nlohmann::json& entries, const std::string& origin) {
  SEGBENCH_CHECK(entries.is_object(), DataError,
                 "{}: expected a JSON object {{file name: md5}}, found {}", origin,
                 entries.type_name());
  ChecksumTable table;
  for (const auto& [name, value] : entries.items()) {
    SEGBENCH_CHECK(value.is_string(), DataError, "{}: entry {} is not an MD5 string (found {})",
                   origin, name, value.type_name());
    table[name] = value.get<std::string>();
  }
  return table;
}

bool is_manifest(const nlohmann::json& j) {
  return j.is_object() && j.contains("format") && j["format"] == kManifestFormat;
}

}  // namespace

bool is_segbench_metadata(std::string_view file_name) {
  return file_name == kManifestName || file_name == kVerificationRecordName ||
         file_name == kPreprocessSettingsName;
}

fs::path default_manifest_path(const fs::path& results_dir) {
  return results_dir / kManifestName;
}

void write_checksum_manifest(const fs::path& results_dir,
                             const std::vector<std::string>& file_names, const fs::path& manifest,
                             bool synthetic, int jobs) {
  std::vector<std::string> md5(file_names.size());
  for_each_index(file_names.size(), jobs,
                 [&](std::size_t k) { md5[k] = io::md5_file_hex(results_dir / file_names[k]); });
  nlohmann::json files = nlohmann::json::object();
  for (std::size_t k = 0; k < file_names.size(); ++k) files[file_names[k]] = md5[k];
  const nlohmann::json entries = {
      {"format", kManifestFormat}, {"synthetic", synthetic}, {"files", files}};
  io::write_text_atomically(manifest, entries.dump(2) + '\n');
}

ChecksumTable parse_checksum_table(std::string_view json_text, const std::string& origin) {
  const nlohmann::json j = parse_json(json_text, origin);
  if (is_manifest(j)) {
    SEGBENCH_CHECK(j.contains("files"), DataError, "{}: segbench manifest without \"files\"",
                   origin);
    return table_from_object(j["files"], origin);
  }
  return table_from_object(j, origin);
}

ChecksumTable read_checksum_table(const fs::path& file) {
  return parse_checksum_table(read_text(file, "checksum table"), file.string());
}

std::optional<ChecksumManifest> read_checksum_manifest(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  const nlohmann::json j = parse_json(read_text(file, "segbench manifest"), file.string());
  SEGBENCH_CHECK(is_manifest(j), DataError,
                 "{}: not a segbench manifest (expected \"format\": \"{}\")", file.string(),
                 kManifestFormat);
  ChecksumManifest manifest;
  manifest.synthetic = j.value("synthetic", false);
  SEGBENCH_CHECK(j.contains("files"), DataError, "{}: segbench manifest without \"files\"",
                 file.string());
  manifest.files = table_from_object(j["files"], file.string());
  return manifest;
}

VerifyReport verify_checksums(const fs::path& dir, const ChecksumTable& table,
                              const std::string& table_name, const fs::path& table_file, int jobs) {
  SEGBENCH_CHECK(fs::is_directory(dir), DataError, "{}: results directory does not exist",
                 dir.string());
  VerifyReport report;
  const std::vector<std::pair<std::string, std::string>> entries(table.begin(), table.end());
  std::vector<std::string> problem(entries.size());  // per entry, in table order
  for_each_index(entries.size(), jobs, [&](std::size_t k) {
    const auto& [name, expected] = entries[k];
    const fs::path file = dir / name;
    if (!fs::is_regular_file(file)) {
      problem[k] = fmt::format("{}: missing (listed in {})", name, table_name);
      return;
    }
    const std::string found = io::md5_file_hex(file);
    if (found != expected) {
      problem[k] = fmt::format("{}: MD5 mismatch: expected {} ({}), found {}", name, expected,
                               table_name, found);
    }
  });
  for (std::string& p : problem)
    if (!p.empty()) report.problems.push_back(std::move(p));
  std::error_code ec;
  const fs::path table_canonical =
      table_file.empty() ? fs::path() : fs::weakly_canonical(table_file, ec);
  std::vector<std::string> extra;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (table.count(name) > 0 || is_segbench_metadata(name)) continue;
    if (!table_canonical.empty() && fs::weakly_canonical(entry.path(), ec) == table_canonical) {
      continue;
    }
    extra.push_back(name);
  }
  std::sort(extra.begin(), extra.end());
  for (const auto& name : extra) {
    report.problems.push_back(
        fmt::format("{}: unexpected file (not listed in {})", name, table_name));
  }
  return report;
}

}  // namespace segbench::prep
