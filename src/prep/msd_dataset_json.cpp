#include "segbench/prep/msd_dataset_json.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "segbench/error.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const json& require_key(const json& object, const std::string& key, json::value_t type,
                        const char* type_name, const fs::path& file) {
  SEGBENCH_CHECK(object.contains(key), DataError, "{}: missing key \"{}\" (expected {})",
                 file.string(), key, type_name);
  const json& value = object.at(key);
  const bool ok =
      type == json::value_t::number_integer ? value.is_number_integer() : value.type() == type;
  SEGBENCH_CHECK(ok, DataError, "{}: key \"{}\" should be {}, found {}", file.string(), key,
                 type_name, value.type_name());
  return value;
}

/// {"0": "FLAIR", "1": "T1w", ...} → {0: "FLAIR", ...}; keys must be exactly 0..n-1.
std::map<int, std::string> read_index_map(const json& object, const std::string& key,
                                          const fs::path& file) {
  const json& map = require_key(object, key, json::value_t::object, "an object", file);
  SEGBENCH_CHECK(!map.empty(), DataError, "{}: \"{}\" is empty (expected at least one entry)",
                 file.string(), key);
  std::map<int, std::string> result;
  for (const auto& [name, value] : map.items()) {
    const bool numeric =
        !name.empty() && name.size() <= 6 &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
    SEGBENCH_CHECK(numeric, DataError, "{}: \"{}\" has key \"{}\" (expected \"0\", \"1\", ...)",
                   file.string(), key, name);
    SEGBENCH_CHECK(value.is_string(), DataError, "{}: \"{}\".\"{}\" should be a string, found {}",
                   file.string(), key, name, value.type_name());
    result.emplace(std::stoi(name), value.get<std::string>());
  }
  int expected = 0;
  for (const auto& [index, name] : result) {
    SEGBENCH_CHECK(index == expected, DataError,
                   "{}: \"{}\" keys should be 0..{} without gaps, found no key \"{}\"",
                   file.string(), key, result.size() - 1, expected);
    ++expected;
  }
  return result;
}

std::string entry_string(const json& entry, const std::string& list, std::size_t index,
                         const std::string& key, const fs::path& file) {
  SEGBENCH_CHECK(
      entry.contains(key) && entry.at(key).is_string(), DataError,
      "{}: \"{}\"[{}] has no string \"{}\" (expected {{\"image\": ..., \"label\": ...}})",
      file.string(), list, index, key);
  return entry.at(key).get<std::string>();
}

}  // namespace

fs::path MsdDataset::resolve(const std::string& relative) const {
  return (root() / relative).lexically_normal();
}

std::string msd_case_name(const std::string& entry_path) {
  std::string name = fs::path(entry_path).filename().string();
  for (const std::string suffix : {".nii.gz", ".nii"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      name.resize(name.size() - suffix.size());
      break;
    }
  }
  return name;
}

MsdDataset read_msd_dataset_json(const fs::path& path) {
  std::error_code ec;
  const bool folder = fs::is_directory(path, ec) || path.extension() != ".json";
  const fs::path file = folder ? path / "dataset.json" : path;
  std::ifstream in(file);
  SEGBENCH_CHECK(in.good(), DataError,
                 "{}: cannot open dataset.json (expected the MSD task's "
                 "dataset.json there)",
                 file.string());
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  SEGBENCH_CHECK(doc.is_object(), DataError, "{}: expected a JSON object at the top, found {}",
                 file.string(), doc.type_name());

  MsdDataset dataset;
  dataset.json_path = file;
  dataset.name =
      require_key(doc, "name", json::value_t::string, "a string", file).get<std::string>();
  dataset.modality = read_index_map(doc, "modality", file);
  dataset.labels = read_index_map(doc, "labels", file);
  dataset.num_training =
      require_key(doc, "numTraining", json::value_t::number_integer, "an integer", file).get<int>();

  const json& training = require_key(doc, "training", json::value_t::array, "a list", file);
  for (std::size_t i = 0; i < training.size(); ++i) {
    const json& entry = training[i];
    SEGBENCH_CHECK(entry.is_object(), DataError,
                   "{}: \"training\"[{}] should be an object {{\"image\", \"label\"}}, found {}",
                   file.string(), i, entry.type_name());
    dataset.training.push_back({entry_string(entry, "training", i, "image", file),
                                entry_string(entry, "training", i, "label", file)});
  }
  SEGBENCH_CHECK(static_cast<std::size_t>(dataset.num_training) == dataset.training.size(),
                 DataError, "{}: numTraining is {} but the \"training\" list has {} entries",
                 file.string(), dataset.num_training, dataset.training.size());

  if (doc.contains("test")) {
    const json& test = require_key(doc, "test", json::value_t::array, "a list", file);
    for (std::size_t i = 0; i < test.size(); ++i) {
      SEGBENCH_CHECK(test[i].is_string(), DataError,
                     "{}: \"test\"[{}] should be an image path string, found {}", file.string(), i,
                     test[i].type_name());
      dataset.test.push_back(test[i].get<std::string>());
    }
    if (doc.contains("numTest") && doc.at("numTest").is_number_integer()) {
      const auto num_test = doc.at("numTest").get<long long>();
      SEGBENCH_CHECK(num_test == static_cast<long long>(dataset.test.size()), DataError,
                     "{}: numTest is {} but the \"test\" list has {} entries", file.string(),
                     num_test, dataset.test.size());
    }
  }
  return dataset;
}

std::vector<fs::path> missing_msd_files(const MsdDataset& dataset, bool include_test) {
  std::vector<fs::path> missing;
  std::error_code ec;
  const auto note = [&](const std::string& relative) {
    const fs::path path = dataset.resolve(relative);
    if (!fs::is_regular_file(path, ec)) missing.push_back(path);
  };
  for (const MsdTrainingPair& pair : dataset.training) {
    note(pair.image);
    note(pair.label);
  }
  if (include_test) {
    for (const std::string& image : dataset.test) note(image);
  }
  return missing;
}

void check_msd_files_exist(const MsdDataset& dataset, bool include_test) {
  const std::vector<fs::path> missing = missing_msd_files(dataset, include_test);
  if (missing.empty()) return;
  constexpr std::size_t kShown = 5;
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < std::min(missing.size(), kShown); ++i)
    shown.push_back(missing[i].string());
  throw DataError(fmt::format("{}: {} listed file(s) do not exist: {}{}",
                              dataset.json_path.string(), missing.size(), fmt::join(shown, ", "),
                              missing.size() > kShown ? ", ..." : ""));
}

}  // namespace segbench::prep
