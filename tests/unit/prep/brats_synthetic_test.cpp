#include "segbench/prep/brats_synthetic.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/prep/msd_dataset_json.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
using namespace segbench::prep;
using Catch::Contains;

namespace {

BratsSynthOptions small_options(std::uint64_t seed) {
  BratsSynthOptions options;
  options.seed = seed;
  options.shape = {40, 44, 28};
  return options;
}

}  // namespace

TEST_CASE("synthetic BraTS cases are deterministic per seed and index", "[prep]") {
  const auto a = make_brats_synthetic_case(small_options(5), 1);
  const auto b = make_brats_synthetic_case(small_options(5), 1);
  CHECK(a.image.data == b.image.data);
  CHECK(a.label.data == b.label.data);
  CHECK(make_brats_synthetic_case(small_options(6), 1).image.data != a.image.data);
  CHECK(make_brats_synthetic_case(small_options(5), 2).label.data != a.label.data);
}

TEST_CASE("synthetic BraTS: zero background, nested tumour regions, MR-like contrasts", "[prep]") {
  for (int index = 0; index < 6; ++index) {
    INFO("case " << index);
    const auto c = make_brats_synthetic_case(small_options(11), index);
    REQUIRE(c.image.shape == std::vector<std::size_t>{40, 44, 28, 4});
    REQUIRE(c.label.shape == std::vector<std::size_t>{40, 44, 28});
    const std::size_t nx = 40, ny = 44, nz = 28;
    const auto voxel = [&](std::size_t x, std::size_t y, std::size_t z) {
      return (x * ny + y) * nz + z;
    };
    const auto label_at = [&](long x, long y, long z) {
      return static_cast<int>(c.label.data[voxel(x, y, z)]);
    };

    // Corners and faces are background: every channel exactly 0 there.
    for (std::size_t m = 0; m < 4; ++m) {
      CHECK(c.image.data[voxel(0, 0, 0) * 4 + m] == 0.0f);
      CHECK(c.image.data[voxel(nx - 1, ny / 2, nz / 2) * 4 + m] == 0.0f);
      CHECK(c.image.data[voxel(nx / 2, ny / 2, 0) * 4 + m] == 0.0f);
    }

    std::array<std::size_t, 4> count{};
    std::array<std::array<double, 4>, 4> mean{};  // [label][modality]
    bool nested = true;
    for (long x = 0; x < static_cast<long>(nx); ++x)
      for (long y = 0; y < static_cast<long>(ny); ++y)
        for (long z = 0; z < static_cast<long>(nz); ++z) {
          const int label = label_at(x, y, z);
          const float* v = &c.image.data[voxel(x, y, z) * 4];
          const bool brain = v[0] > 0 || v[1] > 0 || v[2] > 0 || v[3] > 0;
          // Inside the brain every modality is > 0; outside all are 0 and there is no tumour.
          REQUIRE((brain ? (v[0] > 0 && v[1] > 0 && v[2] > 0 && v[3] > 0)
                         : (v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0 && label == 0)));
          ++count[label];
          for (int m = 0; m < 4; ++m) mean[label][m] += v[m];
          if (label < 2) continue;
          // Core (2, 3) is enclosed by tumour; the non-enhancing centre (2) by core.
          const long step[6][3] = {{1, 0, 0},  {-1, 0, 0}, {0, 1, 0},
                                   {0, -1, 0}, {0, 0, 1},  {0, 0, -1}};
          for (const auto& s : step) {
            const int n = label_at(x + s[0], y + s[1], z + s[2]);
            if (n == 0 || (label == 2 && n == 1)) nested = false;
          }
        }
    CHECK(nested);
    CHECK(count[1] > 0);
    CHECK(count[2] > 0);
    CHECK(count[3] > 0);
    for (int label = 0; label < 4; ++label)
      for (int m = 0; m < 4; ++m) mean[label][m] /= static_cast<double>(count[label]);
    // Edema is brighter than the enhancing ring on FLAIR; the ring is brightest on T1gd.
    CHECK(mean[1][0] > mean[3][0]);
    CHECK(mean[3][2] > 2.0 * mean[1][2]);
    CHECK(mean[3][2] > 2.0 * mean[2][2]);
    // The non-enhancing centre is darker than edema on T1w.
    CHECK(mean[2][1] < mean[1][1]);
  }
}

TEST_CASE("synthetic BraTS writes the MSD Task01 layout", "[prep]") {
  test::ScratchDir dir("brats-synth");
  BratsSynthOptions options = small_options(2);
  options.cases = 2;
  options.test_cases = 1;
  options.first_case_id = 9;
  std::ostringstream progress;
  const auto task = write_brats_synthetic(dir.path(), options, &progress);
  CHECK(task == dir / "Task01_BrainTumour");
  CHECK_THAT(progress.str(), Contains("BRATS_009.nii.gz: shape (40, 44, 28, 4)") &&
                                 Contains("BRATS_011.nii.gz: shape (40, 44, 28, 4) (test)"));

  const MsdDataset dataset = read_msd_dataset_json(task);
  CHECK(dataset.name == "BRATS");
  CHECK(dataset.modality ==
        std::map<int, std::string>{{0, "FLAIR"}, {1, "T1w"}, {2, "t1gd"}, {3, "T2w"}});
  CHECK(dataset.labels ==
        std::map<int, std::string>{
            {0, "background"}, {1, "edema"}, {2, "non-enhancing tumor"}, {3, "enhancing tumour"}});
  REQUIRE(dataset.training.size() == 2);
  CHECK(dataset.training[0].image == "./imagesTr/BRATS_009.nii.gz");
  CHECK(dataset.training[1].label == "./labelsTr/BRATS_010.nii.gz");
  CHECK(dataset.test == std::vector<std::string>{"./imagesTs/BRATS_011.nii.gz"});
  CHECK(missing_msd_files(dataset, true).empty());

  const auto label = io::read_nifti(task / "labelsTr" / "BRATS_010.nii.gz");
  CHECK(label.datatype == 2);  // uint8
  CHECK(label.data == make_brats_synthetic_case(options, 1).label.data);
}

TEST_CASE("synthetic BraTS rejects shapes too small for a brain", "[prep]") {
  BratsSynthOptions options;
  options.shape = {64, 64, 12};
  REQUIRE_THROWS_AS(make_brats_synthetic_case(options, 0), ConfigError);
  REQUIRE_THROWS_WITH(make_brats_synthetic_case(options, 0),
                      Contains("expected every shape axis >= 24, found 12 on axis 2"));
}
