#include "segbench/prep/checksum_manifest.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "segbench/error.hpp"
#include "segbench/io/md5.hpp"

namespace segbench::prep {

namespace fs = std::filesystem;

fs::path default_manifest_path(const fs::path& results_dir) {
  return results_dir / "checksum.json";
}

void write_checksum_manifest(const fs::path& results_dir,
                             const std::vector<std::string>& file_names, const fs::path& manifest) {
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& name : file_names) entries[name] = io::md5_file_hex(results_dir / name);
  const fs::path temp =
      manifest.parent_path() / fmt::format(".{}.tmp-{}", manifest.filename().string(), ::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    SEGBENCH_CHECK(out.is_open(), DataError, "{}: cannot create manifest", manifest.string());
    out << entries.dump(4) << '\n';
    SEGBENCH_CHECK(out.good(), DataError, "{}: write failed", manifest.string());
  }
  std::error_code ec;
  fs::rename(temp, manifest, ec);
  SEGBENCH_CHECK(!ec, DataError, "{}: cannot rename {} into place: {}", manifest.string(),
                 temp.string(), ec.message());
}

VerifyReport verify_kits19_dir(const fs::path& results_dir, const fs::path& manifest) {
  std::ifstream in(manifest);
  SEGBENCH_CHECK(in.is_open(), DataError, "{}: cannot open checksum manifest", manifest.string());
  nlohmann::json entries;
  try {
    entries = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(
        fmt::format("{}: checksum manifest is not valid JSON: {}", manifest.string(), e.what()));
  }
  SEGBENCH_CHECK(entries.is_object(), DataError,
                 "{}: expected a JSON object {{file name: md5}}, found {}", manifest.string(),
                 entries.type_name());
  SEGBENCH_CHECK(fs::is_directory(results_dir), DataError, "{}: results directory does not exist",
                 results_dir.string());

  VerifyReport report;
  std::set<std::string> listed;
  for (const auto& [name, value] : entries.items()) {
    listed.insert(name);
    if (!value.is_string()) {
      report.problems.push_back(
          fmt::format("{}: manifest entry is not a string (found {})", name, value.type_name()));
      continue;
    }
    const fs::path file = results_dir / name;
    if (!fs::is_regular_file(file)) {
      report.problems.push_back(fmt::format("{}: missing (listed in {})", name, manifest.string()));
      continue;
    }
    const std::string expected = value.get<std::string>();
    const std::string found = io::md5_file_hex(file);
    if (found != expected) {
      report.problems.push_back(
          fmt::format("{}: checksum mismatch: expected {}, found {}", name, expected, found));
    }
  }
  std::error_code ec;
  const fs::path manifest_canonical = fs::weakly_canonical(manifest, ec);
  std::vector<std::string> extra;
  for (const auto& entry : fs::directory_iterator(results_dir)) {
    const std::string name = entry.path().filename().string();
    if (listed.count(name) > 0) continue;
    if (fs::weakly_canonical(entry.path(), ec) == manifest_canonical) continue;
    extra.push_back(name);
  }
  std::sort(extra.begin(), extra.end());
  for (const auto& name : extra) {
    report.problems.push_back(
        fmt::format("{}: unexpected file (not listed in {})", name, manifest.string()));
  }
  return report;
}

VerifyReport verify_kits19_dir(const fs::path& results_dir) {
  return verify_kits19_dir(results_dir, default_manifest_path(results_dir));
}

}  // namespace segbench::prep
