#include "segbench/data/kits19_split.hpp"

#include "segbench/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

namespace segbench {

namespace fs = std::filesystem;

const std::vector<std::string>& kits19_validation_ids() {
  static const std::vector<std::string> ids{
      "00000", "00003", "00005", "00006", "00012", "00024", "00034", "00041", "00044",
      "00049", "00052", "00056", "00061", "00065", "00066", "00070", "00076", "00078",
      "00080", "00084", "00086", "00087", "00092", "00111", "00112", "00125", "00128",
      "00138", "00157", "00160", "00161", "00162", "00169", "00171", "00176", "00185",
      "00187", "00189", "00198", "00203", "00206", "00207"};
  return ids;
}

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The reference's `path.split("_")[-2]`: the part between the last two underscores.
std::string id_of(const std::string& file_name) {
  const auto last = file_name.rfind('_');
  if (last == std::string::npos || last == 0) return {};
  const auto before = file_name.rfind('_', last - 1);
  const auto start = before == std::string::npos ? 0 : before + 1;
  return file_name.substr(start, last - start);
}

}  // namespace

Kits19Split split_kits19_cases(const fs::path& data_dir,
                               const std::vector<std::string>& validation_ids) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_directory(data_dir, ec), DataError,
                 "KiTS19 data directory {} does not exist or is not a directory",
                 data_dir.string());

  // The case name is the file name without the "_x.npy"/"_y.npy" suffix.
  std::map<std::string, fs::path> images;
  std::map<std::string, fs::path> labels;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    const std::string name = entry.path().filename().string();
    if (ends_with(name, "_x.npy")) images.emplace(name.substr(0, name.size() - 6), entry.path());
    if (ends_with(name, "_y.npy")) labels.emplace(name.substr(0, name.size() - 6), entry.path());
  }
  SEGBENCH_CHECK(!images.empty() || !labels.empty(), DataError,
                 "no case_*_x.npy files in {}: expected the preprocessed KiTS19 cases there",
                 data_dir.string());

  std::vector<std::string> unpaired;
  for (const auto& [name, path] : images)
    if (!labels.contains(name)) unpaired.push_back(path.filename().string() + " (no _y.npy)");
  for (const auto& [name, path] : labels)
    if (!images.contains(name)) unpaired.push_back(path.filename().string() + " (no _x.npy)");
  std::sort(unpaired.begin(), unpaired.end());
  SEGBENCH_CHECK(unpaired.empty(), DataError, "{} unpaired file(s) in {}: {}", unpaired.size(),
                 data_dir.string(), fmt::join(unpaired, ", "));

  const std::set<std::string> validation(validation_ids.begin(), validation_ids.end());
  Kits19Split split;
  for (const auto& [name, image_path] : images) {  // std::map: sorted by file name
    CaseFiles files{name, image_path, labels.at(name)};
    const std::string id = id_of(image_path.filename().string());
    (validation.contains(id) ? split.validation : split.train).push_back(std::move(files));
  }
  return split;
}

}  // namespace segbench
