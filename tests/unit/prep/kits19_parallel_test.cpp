#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/kits19_preprocess.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;

namespace {

/// Four small synthetic KiTS19 cases in `raw`, and preprocessing options that suit them.
segbench::prep::Kits19PreprocessOptions write_small_kits19(const fs::path& raw) {
  segbench::prep::Kits19SynthOptions synth;
  synth.cases = 4;
  synth.shape = {8, 20, 20};
  synth.spacing = {3.2, 1.5, 1.5};
  segbench::prep::write_kits19_synthetic(raw, synth);
  segbench::prep::Kits19PreprocessOptions options;
  options.min_shape = 16;
  return options;
}

}  // namespace

TEST_CASE("kits19-preprocess: several jobs write the same files and manifest as one", "[prep]") {
  ScratchDir dir("kits-jobs");
  const auto options = write_small_kits19(dir / "raw");
  std::ostringstream progress;
  const auto one =
      segbench::prep::preprocess_kits19_dir(dir / "raw", dir / "one", options, progress, 1);
  const auto three =
      segbench::prep::preprocess_kits19_dir(dir / "raw", dir / "three", options, progress, 3);
  CHECK(one.written_files == three.written_files);
  CHECK(one.written_files.size() == 8);
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(dir / "one")) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    CHECK(read_bytes(entry.path()) == read_bytes(dir / "three" / name));
    ++compared;
  }
  CHECK(compared == 10);  // 8 npy files, segbench_manifest.json, the settings
}

TEST_CASE("kits19-preprocess: an image with NaN or Inf is an error naming the file", "[prep]") {
  ScratchDir dir("kits-nan");
  segbench::prep::Kits19SynthOptions synth;
  synth.cases = 2;
  synth.shape = {8, 16, 16};
  segbench::prep::write_kits19_synthetic(dir / "raw", synth);
  const fs::path image_path = dir / "raw/case_00001/imaging.nii.gz";
  segbench::io::NiftiVolume image = segbench::io::read_nifti(image_path);
  image.data[5] = std::numeric_limits<float>::quiet_NaN();
  segbench::io::write_nifti(image_path, image.shape, image.spacing, image.data,
                            segbench::io::NiftiStorage::float32);
  std::ostringstream progress;
  for (int jobs : {1, 2}) {
    INFO("jobs " << jobs);
    REQUIRE_THROWS_WITH(
        segbench::prep::preprocess_kits19_dir(
            dir / "raw", dir / "out", segbench::prep::Kits19PreprocessOptions{}, progress, jobs),
        Catch::Contains(image_path.string() +
                        ": the image holds 1 non-finite value(s) (first: nan"));
  }
}

TEST_CASE("kits19-preprocess: a rerun keeps finished cases and redoes damaged ones", "[prep]") {
  ScratchDir dir("kits-resume");
  auto options = write_small_kits19(dir / "raw");
  std::ostringstream progress;
  segbench::prep::preprocess_kits19_dir(dir / "raw", dir / "full", options, progress, 1);

  // An interrupted run: case 1 never written, case 2's label cut short (a copy that died), case
  // 3's image of another shape, no manifest.
  fs::copy(dir / "full", dir / "resumed");
  fs::remove(dir / "resumed/segbench_manifest.json");
  fs::remove(dir / "resumed/case_00001_x.npy");
  fs::remove(dir / "resumed/case_00001_y.npy");
  const std::string label2 = read_bytes(dir / "resumed/case_00002_y.npy");
  segbench::test::write_bytes(dir / "resumed/case_00002_y.npy", label2.substr(0, 200));
  segbench::io::write_npy(dir / "resumed/case_00003_x.npy", segbench::io::NpyDtype::float32,
                          std::vector<std::size_t>{1, 2, 2, 2}, std::vector<float>(8).data());
  std::ostringstream again;
  const auto report =
      segbench::prep::preprocess_kits19_dir(dir / "raw", dir / "resumed", options, again, 2);
  CHECK(report.cases_written == 4);
  CHECK(report.cases_resumed == 1);  // only case 0 was complete
  CHECK_THAT(again.str(), Catch::Contains("case_00000: finished by an earlier run"));
  CHECK_THAT(again.str(), Catch::Contains("1 cases kept from an earlier run"));
  for (const auto& entry : fs::directory_iterator(dir / "full")) {
    const std::string name = entry.path().filename().string();
    INFO(name);
    CHECK(read_bytes(entry.path()) == read_bytes(dir / "resumed" / name));
  }

  // Other settings: nothing is kept, even files of the right shape.
  options.target_spacing = {1.6, 1.2, 1.25};
  std::ostringstream changed;
  const auto redone =
      segbench::prep::preprocess_kits19_dir(dir / "raw", dir / "resumed", options, changed, 1);
  CHECK(redone.cases_resumed == 0);
  CHECK(read_bytes(dir / "resumed/case_00000_x.npy") != read_bytes(dir / "full/case_00000_x.npy"));
}
