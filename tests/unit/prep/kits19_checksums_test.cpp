// The shipped MLCommons KiTS19 table, verification against a table, and the start-up check of
// the verification record (no torch).
#include <fmt/core.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "segbench/io/md5.hpp"
#include "segbench/prep/checksum_manifest.hpp"
#include "segbench/prep/kits19_official_checksums.hpp"
#include "segbench/prep/kits19_verification.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using namespace segbench::prep;
using segbench::test::ScratchDir;
using segbench::test::write_bytes;

TEST_CASE("the shipped KiTS19 table: 420 files, x and y of ids 0..209, MD5 strings", "[prep]") {
  const ChecksumTable& table = kits19_official_checksums();
  CHECK(table.size() == 420);
  std::set<std::string> expected;
  for (int id = 0; id < 210; ++id) {
    expected.insert(fmt::format("case_{:05d}_x.npy", id));
    expected.insert(fmt::format("case_{:05d}_y.npy", id));
  }
  std::set<std::string> names;
  const std::regex md5("[0-9a-f]{32}");
  for (const auto& [name, hash] : table) {
    names.insert(name);
    INFO(name);
    CHECK(std::regex_match(hash, md5));
  }
  CHECK(names == expected);
  // The first entry of the upstream file, as shipped.
  CHECK(table.at("case_00108_y.npy") == "432172445752cb875e8a0a28410cc092");
  CHECK(kits19_official_checksums_md5() == segbench::io::md5_hex(kits19_official_checksums_json()));
}

TEST_CASE("verify_checksums reports a changed byte, a missing file and an extra file at once",
          "[prep]") {
  ScratchDir dir("verify-table");
  ChecksumTable table;
  for (const char* name : {"case_00000_x.npy", "case_00000_y.npy", "case_00001_x.npy"}) {
    write_bytes(dir / name, std::string("payload of ") + name);
    table[name] = segbench::io::md5_file_hex(dir / name);
  }
  write_bytes(dir / "segbench_manifest.json", "{}");  // segbench's metadata never counts
  CHECK(verify_checksums(dir.path(), table, "T").ok());

  write_bytes(dir / "case_00000_x.npy", "payload of case_00000_x.npz");
  fs::remove(dir / "case_00001_x.npy");
  write_bytes(dir / "case_00002_x.npy", "extra");
  const VerifyReport report = verify_checksums(dir.path(), table, "T");
  REQUIRE(report.problems.size() == 3);
  CHECK_THAT(report.problems[0], Catch::StartsWith("case_00000_x.npy: MD5 mismatch: expected " +
                                                   table["case_00000_x.npy"]));
  CHECK(report.problems[1] == "case_00001_x.npy: missing (listed in T)");
  CHECK(report.problems[2] == "case_00002_x.npy: unexpected file (not listed in T)");
}

TEST_CASE("a table file inside the directory is not an unexpected file", "[prep]") {
  ScratchDir dir("verify-upstream");
  write_bytes(dir / "case_00000_x.npy", "x");
  const std::string table =
      fmt::format("{{\"case_00000_x.npy\": \"{}\"}}", segbench::io::md5_hex(std::string("x")));
  write_bytes(dir / "checksum.json", table);
  const Kits19Verification v = verify_kits19_dir(dir.path(), dir / "checksum.json");
  CHECK(v.report.ok());
  CHECK_FALSE(v.official);
  CHECK_FALSE(fs::exists(dir / "segbench_verified.json"));
}

TEST_CASE("the start-up check trusts the verification record only while files are unchanged",
          "[prep]") {
  ScratchDir dir("official-status");
  CHECK_THAT(kits19_official_status(dir.path()).reason,
             Catch::Contains("segbench_verified.json not found") &&
                 Catch::Contains("segbench-data kits19-verify --results_dir"));

  // A record as kits19-verify writes it after the official table matched (the check compares
  // sizes and modification times only, so placeholder files stand in for the 30 GB).
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, md5] : kits19_official_checksums()) {
    write_bytes(dir / name, name);
    files[name] = {{"size", fs::file_size(dir / name)},
                   {"mtime", fs::last_write_time(dir / name).time_since_epoch().count()}};
  }
  nlohmann::json record = {{"table_md5", kits19_official_checksums_md5()}, {"files", files}};
  write_bytes(dir / "segbench_verified.json", record.dump());
  const OfficialDataStatus ok = kits19_official_status(dir.path());
  CHECK(ok.official);
  CHECK(ok.reason.empty());

  SECTION("a file modified since verification") {
    const fs::path file = dir / "case_00042_y.npy";
    fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
    const OfficialDataStatus s = kits19_official_status(dir.path());
    CHECK_FALSE(s.official);
    CHECK_THAT(s.reason, Catch::Contains("case_00042_y.npy: changed"));
  }
  SECTION("an extra case") {
    write_bytes(dir / "case_00300_x.npy", "x");
    CHECK_THAT(kits19_official_status(dir.path()).reason,
               Catch::Contains("case_00300_x.npy: not a file of the official KiTS19 data"));
  }
  SECTION("a record for another table") {
    record["table_md5"] = "0123";
    write_bytes(dir / "segbench_verified.json", record.dump());
    CHECK_THAT(kits19_official_status(dir.path()).reason,
               Catch::Contains("another checksum table"));
  }
}
