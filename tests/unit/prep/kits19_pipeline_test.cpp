#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/io/md5.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/kits19_preprocess.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "segbench/prep/kits19_verification.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;
using segbench::test::write_bytes;

TEST_CASE("synthetic → preprocess → verify, then every corruption is reported at once", "[prep]") {
  ScratchDir raw("raw"), out("preprocessed");
  segbench::prep::Kits19SynthOptions synth;
  synth.cases = 3;
  synth.first_case_id = 208;  // 208, 209 and 210; 210 is a KiTS19 test case and is skipped
  synth.shape = {10, 24, 24};
  synth.spacing = {3.2, 1.5, 1.5};
  segbench::prep::write_kits19_synthetic(raw.path(), synth);
  write_bytes(raw / "kits.json", "{}");  // entries without "case" are ignored

  segbench::prep::Kits19PreprocessOptions options;
  options.min_shape = 24;
  std::ostringstream progress;
  const auto report =
      segbench::prep::preprocess_kits19_dir(raw.path(), out.path(), options, progress);
  CHECK(report.cases_written == 2);
  CHECK(report.skipped == std::vector<std::string>{"case_00210"});
  CHECK(report.written_files == std::vector<std::string>{"case_00208_x.npy", "case_00208_y.npy",
                                                         "case_00209_x.npy", "case_00209_y.npy"});
  CHECK_THAT(progress.str(),
             Catch::Contains(
                 "case_00208: id 208 raw (10, 24, 24) spacing (3.2, 1.5, 1.5) -> (1, 24, 30, 30)"));
  CHECK_THAT(progress.str(), Catch::Contains("case_00210: skipped"));

  // Files: (1, D, H, W) float32 / uint8, equal to preprocessing the case in memory.
  const auto x = segbench::io::read_npy(out / "case_00209_x.npy");
  const auto y = segbench::io::read_npy(out / "case_00209_y.npy");
  CHECK(x.dtype == segbench::io::NpyDtype::float32);
  CHECK(y.dtype == segbench::io::NpyDtype::uint8);
  // D: int(3.2 / 1.6 * 10) = 20 → padded to 24; H, W: int(1.5 / 1.2 * 24) = 30.
  CHECK(x.shape == std::vector<std::size_t>{1, 24, 30, 30});
  CHECK(y.shape == x.shape);
  const auto expected = segbench::prep::preprocess_kits19_case(
      segbench::io::read_nifti(raw / "case_00209/imaging.nii.gz"),
      segbench::io::read_nifti(raw / "case_00209/segmentation.nii.gz"), options);
  CHECK(std::memcmp(x.bytes.data(), expected.image.data(), x.bytes.size()) == 0);
  CHECK(std::memcmp(y.bytes.data(), expected.label.data(), y.bytes.size()) == 0);

  // Manifest: every written file with the MD5 of the whole file, marked synthetic (the raw
  // directory holds kits19-synth's marker), so default verification uses it, not the official
  // table.
  CHECK(report.synthetic);
  CHECK(report.manifest == out / "segbench_manifest.json");
  const nlohmann::json written = nlohmann::json::parse(read_bytes(out / "segbench_manifest.json"));
  CHECK(written.at("synthetic") == true);
  const nlohmann::json manifest = written.at("files");
  REQUIRE(manifest.size() == 4);
  for (const auto& name : report.written_files) {
    CHECK(manifest.at(name) == segbench::io::md5_file_hex(out / name));
  }
  const auto passed = segbench::prep::verify_kits19_dir(out.path());
  CHECK(passed.report.ok());
  CHECK(passed.synthetic);
  CHECK_FALSE(passed.official);
  CHECK_FALSE(fs::exists(out / "segbench_verified.json"));

  // One missing, one corrupted, one extra file: all three reported together.
  fs::remove(out / "case_00208_y.npy");
  std::string bytes = read_bytes(out / "case_00209_x.npy");
  bytes[bytes.size() / 2] ^= 0x01;
  write_bytes(out / "case_00209_x.npy", bytes);
  write_bytes(out / "notes.txt", "stray");
  const auto verify =
      segbench::prep::verify_kits19_dir(out.path(), out / "segbench_manifest.json").report;
  CHECK_FALSE(verify.ok());
  REQUIRE(verify.problems.size() == 3);
  CHECK_THAT(verify.problems[0], Catch::StartsWith("case_00208_y.npy: missing"));
  CHECK_THAT(verify.problems[1],
             Catch::StartsWith("case_00209_x.npy: MD5 mismatch: expected " +
                               manifest.at("case_00209_x.npy").get<std::string>()));
  CHECK_THAT(verify.problems[2], Catch::StartsWith("notes.txt: unexpected file"));
}

TEST_CASE("verify and preprocess fail loudly on unusable inputs", "[prep]") {
  ScratchDir dir("verify");
  SECTION("checksum table missing") {
    REQUIRE_THROWS_WITH(segbench::prep::verify_kits19_dir(dir.path(), dir / "checksum.json"),
                        Catch::Contains("checksum.json") && Catch::Contains("cannot open"));
  }
  SECTION("checksum table not JSON") {
    write_bytes(dir / "checksum.json", "{not json");
    REQUIRE_THROWS_WITH(segbench::prep::verify_kits19_dir(dir.path(), dir / "checksum.json"),
                        Catch::Contains("checksum.json") && Catch::Contains("not valid JSON"));
  }
  SECTION("manifest not segbench's") {
    write_bytes(dir / "segbench_manifest.json", "{\"case_00000_x.npy\": \"00\"}");
    REQUIRE_THROWS_WITH(
        segbench::prep::verify_kits19_dir(dir.path()),
        Catch::Contains("segbench_manifest.json") && Catch::Contains("not a segbench manifest"));
  }
  SECTION("raw directory without cases") {
    std::ostringstream progress;
    REQUIRE_THROWS_WITH(
        segbench::prep::preprocess_kits19_dir(dir.path(), dir / "out", {}, progress),
        Catch::Contains(dir.path().string()) && Catch::Contains("found no entry"));
  }
  SECTION("case without an id") {
    fs::create_directories(dir / "case_abc");
    std::ostringstream progress;
    REQUIRE_THROWS_WITH(
        segbench::prep::preprocess_kits19_dir(dir.path(), dir / "out", {}, progress),
        Catch::Contains("case_abc") && Catch::Contains("no numeric id"));
  }
  SECTION("case missing its segmentation") {
    segbench::prep::Kits19SynthOptions synth;
    synth.cases = 1;
    synth.shape = {8, 16, 16};
    segbench::prep::write_kits19_synthetic(dir / "raw", synth);
    fs::remove(dir / "raw/case_00000/segmentation.nii.gz");
    std::ostringstream progress;
    REQUIRE_THROWS_WITH(
        segbench::prep::preprocess_kits19_dir(dir / "raw", dir / "out", {}, progress),
        Catch::Contains("case_00000/segmentation.nii.gz") && Catch::Contains("does not exist"));
  }
}
