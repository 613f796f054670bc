#include "segbench/data/kits19_split.hpp"

#include "segbench/error.hpp"
#include "support/scratch_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace segbench;

TEST_CASE("kits19_validation_ids: the 42 fixed ids of evaluation_cases.txt", "[data]") {
  const auto& ids = kits19_validation_ids();
  REQUIRE(ids.size() == 42);
  REQUIRE(ids.front() == "00000");
  REQUIRE(ids[1] == "00003");
  REQUIRE(ids[23] == "00111");
  REQUIRE(ids.back() == "00207");
  REQUIRE(std::is_sorted(ids.begin(), ids.end()));
  REQUIRE(std::set<std::string>(ids.begin(), ids.end()).size() == 42);
  for (const auto& id : ids) REQUIRE(id.size() == 5);
}

TEST_CASE("split_kits19_cases: 210 cases give 168 train and 42 validation", "[data]") {
  test::ScratchDir dir("split210");
  for (int id = 209; id >= 0; --id) {
    const std::string name = fmt::format("case_{:05d}", id);
    dir.touch(name + "_x.npy");
    dir.touch(name + "_y.npy");
  }
  dir.touch("checksum.json");
  const Kits19Split split = split_kits19_cases(dir.path());
  REQUIRE(split.train.size() == 168);
  REQUIRE(split.validation.size() == 42);
  REQUIRE(split.train.front().case_id == "case_00001");
  REQUIRE(split.train.front().image == dir / "case_00001_x.npy");
  REQUIRE(split.train.front().label == dir / "case_00001_y.npy");
  REQUIRE(split.validation[1].case_id == "case_00003");
  REQUIRE(split.validation.back().case_id == "case_00207");
  REQUIRE(std::is_sorted(split.train.begin(), split.train.end(),
                         [](const auto& a, const auto& b) { return a.case_id < b.case_id; }));
}

TEST_CASE("split_kits19_cases: custom ids and the id taken before _x", "[data]") {
  test::ScratchDir dir("splitcustom");
  for (const char* name : {"case_00003", "case_00010", "case_00012"}) {
    dir.touch(std::string(name) + "_x.npy");
    dir.touch(std::string(name) + "_y.npy");
  }
  const Kits19Split split = split_kits19_cases(dir.path(), {"00010"});
  REQUIRE(split.validation.size() == 1);
  REQUIRE(split.validation[0].case_id == "case_00010");
  REQUIRE(split.train.size() == 2);
  REQUIRE(split.train[1].case_id == "case_00012");
}

TEST_CASE("split_kits19_cases: every unpaired file is listed; empty dir is named", "[data]") {
  test::ScratchDir dir("splitbad");
  REQUIRE_THROWS_AS(split_kits19_cases(dir.path()), DataError);
  REQUIRE_THROWS_WITH(split_kits19_cases(dir.path()),
                      Catch::Contains("no case_*_x.npy files in " + dir.path().string()));

  dir.touch("case_00001_x.npy");
  dir.touch("case_00001_y.npy");
  dir.touch("case_00002_x.npy");
  dir.touch("case_00004_y.npy");
  dir.touch("case_00005_x.npy");
  REQUIRE_THROWS_WITH(split_kits19_cases(dir.path()),
                      Catch::Contains("3 unpaired") &&
                          Catch::Contains("case_00002_x.npy (no _y.npy)") &&
                          Catch::Contains("case_00004_y.npy (no _x.npy)") &&
                          Catch::Contains("case_00005_x.npy (no _y.npy)"));

  REQUIRE_THROWS_WITH(split_kits19_cases(dir / "missing"), Catch::Contains("does not exist"));
}
