#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/prep/kits19_preprocess.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;

TEST_CASE("kits19-preprocess: several jobs write the same files and manifest as one", "[prep]") {
  at::set_num_threads(1);
  ScratchDir dir("kits-jobs");
  segbench::prep::Kits19SynthOptions synth;
  synth.cases = 4;
  synth.shape = {8, 20, 20};
  synth.spacing = {3.2, 1.5, 1.5};
  segbench::prep::write_kits19_synthetic(dir / "raw", synth);
  segbench::prep::Kits19PreprocessOptions options;
  options.min_shape = 16;
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
  CHECK(compared == 9);  // 8 npy files and segbench_manifest.json
}

TEST_CASE("kits19-preprocess: an image with NaN or Inf is an error naming the file", "[prep]") {
  at::set_num_threads(1);
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
