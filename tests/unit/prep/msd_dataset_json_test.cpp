#include "segbench/prep/msd_dataset_json.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include "segbench/error.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
using namespace segbench::prep;
using Catch::Contains;

namespace {

// The head of the real MSD Task01_BrainTumour/dataset.json, with two training pairs.
constexpr const char* kTask01Json = R"({
  "name": "BRATS",
  "description": "Gliomas segmentation tumour and oedema in on brain images",
  "tensorImageSize": "4D",
  "modality": {"0": "FLAIR", "1": "T1w", "2": "t1gd", "3": "T2w"},
  "labels": {"0": "background", "1": "edema", "2": "non-enhancing tumor",
             "3": "enhancing tumour"},
  "numTraining": 2,
  "numTest": 1,
  "training": [{"image": "./imagesTr/BRATS_457.nii.gz", "label": "./labelsTr/BRATS_457.nii.gz"},
               {"image": "./imagesTr/BRATS_306.nii.gz", "label": "./labelsTr/BRATS_306.nii.gz"}],
  "test": ["./imagesTs/BRATS_557.nii.gz"]
})";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("dataset.json of MSD Task01: maps, lists and resolved paths", "[prep]") {
  test::ScratchDir dir("msd-json");
  test::write_bytes(dir / "dataset.json", kTask01Json);
  const MsdDataset dataset = read_msd_dataset_json(dir.path());  // a folder works too
  CHECK(dataset.json_path == dir / "dataset.json");
  CHECK(dataset.name == "BRATS");
  CHECK(dataset.modality ==
        std::map<int, std::string>{{0, "FLAIR"}, {1, "T1w"}, {2, "t1gd"}, {3, "T2w"}});
  CHECK(dataset.labels.at(2) == "non-enhancing tumor");
  CHECK(dataset.in_channels() == 4);
  CHECK(dataset.n_class() == 4);
  CHECK(dataset.num_training == 2);
  REQUIRE(dataset.training.size() == 2);
  CHECK(dataset.training[1].image == "./imagesTr/BRATS_306.nii.gz");
  CHECK(dataset.training[1].label == "./labelsTr/BRATS_306.nii.gz");
  CHECK(dataset.test == std::vector<std::string>{"./imagesTs/BRATS_557.nii.gz"});
  CHECK(dataset.resolve(dataset.training[0].image) == dir.path() / "imagesTr" / "BRATS_457.nii.gz");
  CHECK(msd_case_name(dataset.training[0].image) == "BRATS_457");
  CHECK(msd_case_name("x/BRATS_001.nii") == "BRATS_001");
}

TEST_CASE("dataset.json: listed files that do not exist are named", "[prep]") {
  test::ScratchDir dir("msd-files");
  test::write_bytes(dir / "dataset.json", kTask01Json);
  std::filesystem::create_directories(dir / "imagesTr");
  std::filesystem::create_directories(dir / "labelsTr");
  dir.touch("imagesTr/BRATS_457.nii.gz");
  dir.touch("labelsTr/BRATS_457.nii.gz");
  dir.touch("imagesTr/BRATS_306.nii.gz");
  const MsdDataset dataset = read_msd_dataset_json(dir / "dataset.json");
  const auto missing = missing_msd_files(dataset, true);
  CHECK(missing == std::vector<std::filesystem::path>{dir / "labelsTr" / "BRATS_306.nii.gz",
                                                      dir / "imagesTs" / "BRATS_557.nii.gz"});
  CHECK(missing_msd_files(dataset).size() == 1);
  REQUIRE_THROWS_AS(check_msd_files_exist(dataset), DataError);
  REQUIRE_THROWS_WITH(check_msd_files_exist(dataset),
                      Contains((dir / "dataset.json").string()) &&
                          Contains("1 listed file(s) do not exist") &&
                          Contains("labelsTr/BRATS_306.nii.gz"));
}

TEST_CASE("dataset.json: missing or malformed entries throw DataError naming the file", "[prep]") {
  test::ScratchDir dir("msd-bad");
  const auto file = dir / "dataset.json";
  const auto read_with = [&](const std::string& text) {
    test::write_bytes(file, text);
    return read_msd_dataset_json(file);
  };
  REQUIRE_THROWS_WITH(read_msd_dataset_json(dir / "nope.json"),
                      Contains("nope.json") && Contains("cannot open dataset.json"));
  REQUIRE_THROWS_AS(read_with("{ not json"), DataError);
  REQUIRE_THROWS_WITH(read_with("{ not json"),
                      Contains(file.string()) && Contains("not valid JSON"));
  REQUIRE_THROWS_WITH(read_with(replaced(kTask01Json, "\"modality\"", "\"modalities\"")),
                      Contains(file.string()) && Contains("missing key \"modality\""));
  REQUIRE_THROWS_WITH(
      read_with(replaced(kTask01Json, "\"numTraining\": 2", "\"numTraining\": 484")),
      Contains(file.string()) &&
          Contains("numTraining is 484 but the \"training\" list has 2 entries"));
  REQUIRE_THROWS_WITH(
      read_with(replaced(kTask01Json, "\"numTraining\": 2", "\"numTraining\": \"2\"")),
      Contains("key \"numTraining\" should be an integer, found string"));
  REQUIRE_THROWS_WITH(
      read_with(replaced(kTask01Json, "\"label\": \"./labelsTr/BRATS_306.nii.gz\"",
                         "\"seg\": \"./labelsTr/BRATS_306.nii.gz\"")),
      Contains(file.string()) && Contains("\"training\"[1] has no string \"label\""));
  REQUIRE_THROWS_WITH(
      read_with(replaced(kTask01Json, "\"2\": \"t1gd\"", "\"5\": \"t1gd\"")),
      Contains("\"modality\" keys should be 0..3 without gaps, found no key \"2\""));
  REQUIRE_THROWS_WITH(
      read_with(replaced(kTask01Json, "\"0\": \"background\"", "\"bg\": \"background\"")),
      Contains("\"labels\" has key \"bg\""));
  REQUIRE_THROWS_WITH(read_with(replaced(kTask01Json, "\"numTest\": 1", "\"numTest\": 266")),
                      Contains("numTest is 266 but the \"test\" list has 1 entries"));
}
