#include "segbench/data/brats_split.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>

#include "segbench/error.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
using Catch::Contains;

namespace {

std::vector<std::string> brats_ids(std::size_t n) {
  std::vector<std::string> ids;
  for (std::size_t i = 1; i <= n; ++i) ids.push_back(fmt::format("BRATS_{:03d}", i));
  return ids;
}

}  // namespace

TEST_CASE("BraTS KFold(5, shuffle, 12345): fold sizes and the fold-0 golden of SPEC 3.3",
          "[data]") {
  const std::vector<std::size_t> expected_sizes{97, 97, 97, 97, 96};
  std::vector<std::size_t> all;
  for (int fold = 0; fold < 5; ++fold) {
    const BratsFold split = kfold_split(brats_ids(484), 5, fold);
    CHECK(split.validation.size() == expected_sizes[fold]);
    CHECK(split.train.size() == 484 - expected_sizes[fold]);
    CHECK(std::is_sorted(split.train.begin(), split.train.end()));
    CHECK(std::is_sorted(split.validation.begin(), split.validation.end()));
    const auto indices = kfold_validation_indices(484, 5, fold);
    all.insert(all.end(), indices.begin(), indices.end());
  }
  std::sort(all.begin(), all.end());  // the folds partition 0..483
  for (std::size_t i = 0; i < all.size(); ++i) REQUIRE(all[i] == i);

  // fidelity §3.3, index i ↔ BRATS_{i+1:03d}.
  const std::vector<std::size_t> fold0 = {
      9,   10,  11,  17,  19,  27,  28,  31,  33,  40,  41,  46,  48,  52,  55,  56,  66,
      68,  84,  85,  87,  90,  97,  99,  100, 101, 103, 110, 115, 134, 135, 137, 144, 148,
      154, 156, 157, 158, 162, 163, 168, 175, 180, 182, 183, 186, 191, 197, 206, 207, 217,
      219, 223, 229, 270, 281, 283, 286, 289, 290, 291, 292, 299, 304, 310, 313, 320, 327,
      328, 334, 342, 349, 350, 355, 365, 366, 373, 375, 376, 377, 378, 383, 385, 393, 397,
      399, 431, 436, 444, 445, 449, 451, 459, 469, 471, 472, 481};
  const BratsFold split = kfold_split(brats_ids(484), 5, 0);
  REQUIRE(split.validation.size() == fold0.size());
  for (std::size_t k = 0; k < fold0.size(); ++k)
    CHECK(split.validation[k] == fmt::format("BRATS_{:03d}", fold0[k] + 1));
  CHECK(split.train.front() == "BRATS_001");
  CHECK(std::find(split.train.begin(), split.train.end(), "BRATS_010") == split.train.end());
}

// Folds 1-4 computed during development by a separate pure-Python replica of
// numpy's MT19937 RandomState(12345).shuffle and sklearn's KFold blocks, whose n = 484 fold 0
// reproduces the fidelity golden above. (scikit-learn itself was not installed on this machine.)
TEST_CASE("BraTS KFold: folds of 20 cases and the short last fold of 484", "[data]") {
  const std::vector<std::vector<std::size_t>> folds_of_20 = {
      {3, 8, 13, 16}, {0, 10, 12, 15}, {6, 7, 11, 17}, {9, 14, 18, 19}, {1, 2, 4, 5}};
  for (int fold = 0; fold < 5; ++fold) {
    INFO("fold " << fold);
    CHECK(kfold_validation_indices(20, 5, fold) == folds_of_20[fold]);
    const BratsFold split = kfold_split(brats_ids(20), 5, fold);
    REQUIRE(split.validation.size() == 4);
    CHECK(split.validation[0] == fmt::format("BRATS_{:03d}", folds_of_20[fold][0] + 1));
    CHECK(split.train.size() == 16);
  }
  const std::vector<std::size_t> fold4_of_484 = {
      0,   5,   12,  23,  29,  34,  36,  43,  58,  59,  62,  63,  64,  72,  74,  76,
      77,  80,  81,  82,  83,  91,  105, 107, 108, 118, 119, 124, 129, 133, 138, 142,
      143, 146, 155, 166, 171, 172, 178, 185, 189, 201, 208, 210, 218, 226, 227, 231,
      235, 247, 248, 251, 252, 257, 261, 263, 267, 278, 279, 285, 287, 288, 294, 297,
      302, 309, 315, 331, 337, 343, 344, 347, 353, 357, 369, 370, 371, 374, 379, 382,
      387, 389, 398, 420, 425, 426, 433, 434, 435, 439, 440, 456, 475, 476, 480, 482};
  CHECK(kfold_validation_indices(484, 5, 4) == fold4_of_484);
  const std::vector<std::size_t> fold1_head = {3, 4, 16, 18, 20, 22, 30, 35, 38, 47};
  const auto fold1 = kfold_validation_indices(484, 5, 1);
  CHECK(std::vector<std::size_t>(fold1.begin(), fold1.begin() + 10) == fold1_head);
  CHECK(fold1.back() == 483);
}

TEST_CASE("BraTS KFold rejects impossible splits", "[data]") {
  REQUIRE_THROWS_AS(kfold_split(brats_ids(4), 5, 0), ConfigError);
  REQUIRE_THROWS_WITH(kfold_split(brats_ids(4), 5, 0),
                      Contains("cannot split 4 case(s) into 5 folds"));
  REQUIRE_THROWS_WITH(kfold_split(brats_ids(20), 1, 0), Contains("at least 2 folds"));
  REQUIRE_THROWS_WITH(kfold_split(brats_ids(20), 5, 5),
                      Contains("fold 5 out of range (expected 0..4)"));
}

TEST_CASE("list_preprocessed_brats_cases: sorted *_x.npy ids, each with its _y.npy", "[data]") {
  test::ScratchDir dir("brats-list");
  REQUIRE_THROWS_WITH(list_preprocessed_brats_cases(dir.path()),
                      Contains(dir.path().string()) && Contains("no *_x.npy files"));
  for (const char* name : {"BRATS_010_x.npy", "BRATS_010_y.npy", "BRATS_002_x.npy",
                           "BRATS_002_y.npy", "config.json", "BRATS_100_y.npy"})
    dir.touch(name);
  CHECK(list_preprocessed_brats_cases(dir.path()) ==
        std::vector<std::string>{"BRATS_002", "BRATS_010"});
  dir.touch("BRATS_003_x.npy");
  REQUIRE_THROWS_AS(list_preprocessed_brats_cases(dir.path()), DataError);
  REQUIRE_THROWS_WITH(list_preprocessed_brats_cases(dir.path()),
                      Contains(dir.path().string()) && Contains("1 label file(s) missing") &&
                          Contains("BRATS_003_y.npy"));
  REQUIRE_THROWS_WITH(list_preprocessed_brats_cases(dir / "absent"), Contains("does not exist"));
}
