#include "segbench/prep/brats_preprocess.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/brats_synthetic.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
using namespace segbench::prep;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

/// nibabel-order volume (X, Y, Z[, C]) filled from a map of non-zero voxels.
io::NiftiVolume volume(std::vector<std::size_t> shape) {
  io::NiftiVolume v;
  v.shape = std::move(shape);
  v.spacing = {1.0, 1.0, 1.0};
  v.data.assign(v.numel(), 0.0f);
  return v;
}

float& at4(io::NiftiVolume& v, std::size_t x, std::size_t y, std::size_t z, std::size_t c) {
  return v.data[((x * v.shape[1] + y) * v.shape[2] + z) * v.shape[3] + c];
}
float& at3(io::NiftiVolume& v, std::size_t x, std::size_t y, std::size_t z) {
  return v.data[(x * v.shape[1] + y) * v.shape[2] + z];
}

/// 2 channels, (X, Y, Z) = (6, 5, 4). Channel 0 holds 1 + x + 10 y + 100 z on x 1..4, y 1..2,
/// z 1..2 (one of them set to 0); channel 1 alone reaches x = 0 and x = 5, so the box needs
/// "any channel > 0". Negative voxels are not foreground.
struct HandCase {
  io::NiftiVolume image = volume({6, 5, 4, 2});
  io::NiftiVolume label = volume({6, 5, 4});
  HandCase() {
    for (std::size_t x = 1; x <= 4; ++x)
      for (std::size_t y = 1; y <= 2; ++y)
        for (std::size_t z = 1; z <= 2; ++z)
          at4(image, x, y, z, 0) = static_cast<float>(1 + x + 10 * y + 100 * z);
    at4(image, 1, 2, 1, 0) = 0.0f;
    at4(image, 0, 1, 1, 1) = 5.0f;
    at4(image, 5, 2, 2, 1) = 7.0f;
    at4(image, 2, 1, 2, 1) = -3.0f;
    at4(image, 3, 4, 3, 0) = -2.0f;  // outside the box, and not > 0
    at3(label, 2, 1, 1) = 1.0f;
    at3(label, 3, 2, 2) = 3.0f;
    at3(label, 4, 1, 2) = 2.0f;
    at3(label, 0, 1, 1) = 1.0f;  // x = 0 is cut by the centre crop of W
  }
};

BratsCaseContract two_channels() {
  BratsCaseContract contract;
  contract.channels = 2;
  return contract;
}

}  // namespace

TEST_CASE("BraTS preprocessing: crop, z-score, pad and centre-crop of a hand-made case", "[prep]") {
  const HandCase hand;
  BratsPreprocessOptions options;
  options.patch_size = {5, 4};
  const BratsPreprocessedCase out =
      preprocess_brats_case(hand.image, hand.label, two_channels(), options);

  CHECK(out.raw_shape == std::array<std::size_t, 4>{2, 4, 5, 6});  // (C, Z, Y, X)
  CHECK(out.foreground.begin == std::array<std::size_t, 3>{1, 1, 0});
  CHECK(out.foreground.end == std::array<std::size_t, 3>{3, 3, 6});
  REQUIRE(out.image_shape == std::array<std::size_t, 4>{2, 2, 5, 4});
  REQUIRE(out.label_shape == std::array<std::size_t, 4>{1, 2, 5, 4});

  // Over the 24 cropped voxels (zeros included): channel 0 sums to 2696 - 122 = 2574, mean
  // 107.25; channel 1 holds 5, 7, -3: mean 9/24 = 0.375, population std sqrt(83/24 - 0.375²).
  // The std 92.139048 and the output values below were computed during development by a
  // plain-Python replica of the reference steps (float64; numpy was not installed here).
  CHECK(out.channel_mean[0] == Approx(107.25));
  CHECK(out.channel_std[0] == Approx(92.139048).epsilon(1e-7));
  CHECK(out.channel_mean[1] == Approx(0.375));
  CHECK(out.channel_std[1] == Approx(std::sqrt(83.0 / 24.0 - 0.375 * 0.375)));
  CHECK(out.channel_std[1] == Approx(1.82145775).epsilon(1e-7));

  const auto image = [&](std::size_t c, std::size_t z, std::size_t y, std::size_t x) {
    return out.image[((c * 2 + z) * 5 + y) * 4 + x];
  };
  const auto label = [&](std::size_t z, std::size_t y, std::size_t x) {
    return out.label[(z * 5 + y) * 4 + x];
  };
  // H: 2 rows padded to 5 → 1 row before, 2 after. W: 6 columns cropped to 4 from column 1.
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t z = 0; z < 2; ++z)
      for (std::size_t x = 0; x < 4; ++x) {
        CHECK(image(c, z, 0, x) == 0.0f);
        CHECK(image(c, z, 3, x) == 0.0f);
        CHECK(image(c, z, 4, x) == 0.0f);
      }
  // Output (z, y, x) = raw (z + 1, y, x + 1); values from that replica.
  CHECK(image(0, 0, 1, 0) == Approx(0.0515525).margin(1e-6));   // (1+1+10+100 - 107.25)/std
  CHECK(image(0, 0, 2, 0) == Approx(-1.1640016).margin(1e-6));  // the zero inside the box
  CHECK(image(0, 0, 2, 3) == Approx(0.1926436).margin(1e-6));
  CHECK(image(0, 1, 1, 3) == Approx(1.1694282).margin(1e-6));
  CHECK(image(0, 1, 2, 3) == Approx(1.2779598).margin(1e-6));
  CHECK(image(1, 0, 1, 0) == Approx(-0.2058791).margin(1e-6));  // zeros of channel 1
  CHECK(image(1, 1, 1, 1) == Approx(-1.8529115).margin(1e-6));  // the -3
  // The 5 at x = 0 and the 7 at x = 5 were cut by the W crop.
  for (std::size_t z = 0; z < 2; ++z)
    for (std::size_t y = 1; y <= 2; ++y)
      for (std::size_t x = 0; x < 4; ++x)
        if (!(z == 1 && y == 1 && x == 1))
          CHECK(image(1, z, y, x) == Approx(-0.2058791).margin(1e-6));

  std::size_t nonzero = 0;
  for (auto v : out.label) nonzero += v != 0;
  CHECK(nonzero == 3);
  CHECK(label(0, 1, 1) == 1);  // raw (x 2, y 1, z 1)
  CHECK(label(1, 1, 3) == 2);  // raw (x 4, y 1, z 2)
  CHECK(label(1, 2, 2) == 3);  // raw (x 3, y 2, z 2)
}

TEST_CASE("BraTS preprocessing: a 3-D image gets a channel axis when one modality is declared",
          "[prep]") {
  io::NiftiVolume image = volume({4, 3, 2});
  io::NiftiVolume label = volume({4, 3, 2});
  at3(image, 1, 1, 0) = 2.0f;
  at3(image, 2, 1, 0) = 4.0f;
  BratsCaseContract contract;
  contract.channels = 1;
  BratsPreprocessOptions options;
  options.patch_size = {1, 3};
  const auto out = preprocess_brats_case(image, label, contract, options);
  REQUIRE(out.image_shape == std::array<std::size_t, 4>{1, 1, 1, 3});
  // Crop (z 0, y 1, x 1..2) = [2, 4]: mean 3, std 1; W padded 2 → 3 (0 before, 1 after).
  CHECK(out.image == std::vector<float>{-1.0f, 1.0f, 0.0f});
}

TEST_CASE("BraTS preprocessing rejects bad cases with messages naming the file", "[prep]") {
  const HandCase hand;
  BratsPreprocessOptions options;
  options.patch_size = {4, 4};
  const std::string image_name = "imagesTr/BRATS_007.nii.gz";
  const std::string label_name = "labelsTr/BRATS_007.nii.gz";
  const auto run = [&](const io::NiftiVolume& image, const io::NiftiVolume& label,
                       const BratsCaseContract& contract) {
    return preprocess_brats_case(image, label, contract, options, image_name, label_name);
  };

  SECTION("3-D image where dataset.json declares 4 modalities") {
    io::NiftiVolume image = volume({6, 5, 4});
    image.data[3] = 1.0f;
    REQUIRE_THROWS_AS(run(image, hand.label, BratsCaseContract{}), DataError);
    REQUIRE_THROWS_WITH(run(image, hand.label, BratsCaseContract{}),
                        Contains(image_name) && Contains("expected a 4-D image (X, Y, Z, 4)") &&
                            Contains("found a 3-D image of shape (6, 5, 4)"));
  }
  SECTION("channel count other than the modalities") {
    REQUIRE_THROWS_WITH(run(hand.image, hand.label, BratsCaseContract{}),
                        Contains(image_name) && Contains("image has 2 channels") &&
                            Contains("dataset.json lists 4 modalities"));
  }
  SECTION("image and label shapes differ") {
    const io::NiftiVolume label = volume({6, 5, 3});
    REQUIRE_THROWS_WITH(run(hand.image, label, two_channels()),
                        Contains(label_name) && Contains("label shape (6, 5, 3)") &&
                            Contains("spatial shape (6, 5, 4)") && Contains(image_name));
  }
  SECTION("label values outside the declared labels") {
    io::NiftiVolume label = hand.label;
    at3(label, 0, 0, 0) = 4.0f;
    at3(label, 1, 0, 0) = 4.0f;
    REQUIRE_THROWS_WITH(run(hand.image, label, two_channels()),
                        Contains(label_name) && Contains("2 voxel(s)") &&
                            Contains("outside the declared labels (0, 1, 2, 3)") &&
                            Contains("first found: 4"));
    at3(label, 1, 0, 0) = 4.0f;
    at3(label, 0, 0, 0) = 1.5f;
    REQUIRE_THROWS_WITH(run(hand.image, label, two_channels()), Contains("first found: 1.5"));
  }
  SECTION("no foreground at all") {
    io::NiftiVolume image = volume({6, 5, 4, 2});
    image.data[0] = -1.0f;
    REQUIRE_THROWS_WITH(run(image, hand.label, two_channels()),
                        Contains(image_name) && Contains("no voxel > 0"));
  }
}

namespace {

void write_json(const std::filesystem::path& path, const nlohmann::json& doc) {
  std::ofstream(path) << doc.dump(2);
}

/// A synthetic Task01 folder of `cases` small (32, 36, 24) cases under `dir`.
std::filesystem::path write_small_brats(const std::filesystem::path& dir, int cases,
                                        std::uint64_t seed) {
  BratsSynthOptions synth;
  synth.cases = cases;
  synth.seed = seed;
  synth.shape = {32, 36, 24};
  return write_brats_synthetic(dir, synth);
}

/// Preprocessing options that suit write_small_brats's cases.
BratsPreprocessOptions small_brats_options() {
  BratsPreprocessOptions options;
  options.patch_size = {24, 20};
  return options;
}

}  // namespace

TEST_CASE("BraTS preprocessing of a synthetic Task01 folder writes npy volumes and config.json",
          "[prep]") {
  test::ScratchDir dir("brats-prep");
  const auto task = write_small_brats(dir.path(), 2, 3);
  const auto options = small_brats_options();
  std::ostringstream progress;
  const auto report = preprocess_brats_dir(task, dir / "01_2d", options, progress);

  CHECK(report.cases_written == 2);
  CHECK(report.written_files == std::vector<std::string>{"BRATS_001_x.npy", "BRATS_001_y.npy",
                                                         "BRATS_002_x.npy", "BRATS_002_y.npy"});
  CHECK_THAT(progress.str(), Contains("[1/2] BRATS_001: raw (4, 24, 36, 32)") &&
                                 Contains("[2/2] BRATS_002") && Contains("Preprocessed 2 case(s)"));
  for (const std::string name : {"BRATS_001", "BRATS_002"}) {
    INFO(name);
    const io::NpyArray x = io::read_npy(dir / "01_2d" / (name + "_x.npy"));
    const io::NpyArray y = io::read_npy(dir / "01_2d" / (name + "_y.npy"));
    CHECK(x.dtype == io::NpyDtype::float32);
    CHECK(y.dtype == io::NpyDtype::uint8);
    REQUIRE(x.shape.size() == 4);
    CHECK(x.shape[0] == 4);
    CHECK(x.shape[2] == 24);
    CHECK(x.shape[3] == 20);
    CHECK(y.shape == std::vector<std::size_t>{1, x.shape[1], 24, 20});
    CHECK(x.shape[1] < 24);  // the brain does not fill the slices: the crop shortened D
    bool labels[4] = {};
    for (std::size_t i = 0; i < y.numel(); ++i) labels[y.data<std::uint8_t>()[i]] = true;
    CHECK((labels[1] && labels[2] && labels[3]));
  }
  nlohmann::json config;
  std::ifstream(dir / "01_2d" / "config.json") >> config;
  CHECK(config == nlohmann::json::parse(
                      R"({"patch_size": [24, 20], "spacings": [1.0, 1.0], "n_class": 4,
                          "in_channels": 4})"));
  CHECK(report.config == dir / "01_2d" / "config.json");
}

TEST_CASE("BraTS preprocessing names dataset.json for missing entries and files", "[prep]") {
  test::ScratchDir dir("brats-prep-bad");
  BratsSynthOptions synth;
  synth.cases = 1;
  synth.shape = {24, 24, 24};
  const auto task = write_brats_synthetic(dir.path(), synth);
  const auto json_path = task / "dataset.json";
  nlohmann::json doc;
  std::ifstream(json_path) >> doc;
  std::ostringstream progress;
  BratsPreprocessOptions options;
  options.patch_size = {16, 16};

  SECTION("a training image that does not exist") {
    doc["training"][0]["image"] = "./imagesTr/BRATS_404.nii.gz";
    write_json(json_path, doc);
    REQUIRE_THROWS_WITH(preprocess_brats_dir(task, dir / "out", options, progress),
                        Contains(json_path.string()) && Contains("1 listed file(s) do not exist") &&
                            Contains("BRATS_404.nii.gz"));
  }
  SECTION("an entry without a label") {
    doc["training"][0].erase("label");
    write_json(json_path, doc);
    REQUIRE_THROWS_WITH(
        preprocess_brats_dir(task, dir / "out", options, progress),
        Contains(json_path.string()) && Contains("\"training\"[0]") && Contains("\"label\""));
  }
  SECTION("a label file whose value is not declared") {
    doc["labels"].erase("3");
    write_json(json_path, doc);
    REQUIRE_THROWS_WITH(preprocess_brats_dir(task, dir / "out", options, progress),
                        Contains("BRATS_001.nii.gz") && Contains("labelsTr") &&
                            Contains("outside the declared labels (0, 1, 2)"));
  }
  SECTION("a 3-D image listed for 4 modalities") {
    io::write_nifti(task / "imagesTr" / "BRATS_001.nii.gz", {24, 24, 24}, {1.0, 1.0, 1.0},
                    std::vector<float>(24 * 24 * 24, 1.0f), io::NiftiStorage::float32);
    REQUIRE_THROWS_WITH(
        preprocess_brats_dir(task, dir / "out", options, progress),
        Contains("imagesTr/BRATS_001.nii.gz") && Contains("expected a 4-D image (X, Y, Z, 4)"));
  }
}

TEST_CASE("BraTS preprocessing: a rerun keeps finished cases and redoes damaged ones", "[prep]") {
  test::ScratchDir dir("brats-resume");
  const auto task = write_small_brats(dir.path(), 3, 4);
  auto options = small_brats_options();
  std::ostringstream progress;
  preprocess_brats_dir(task, dir / "full", options, progress, 1);

  // An interrupted run: no config.json, case 2 missing its label, case 3's image cut short.
  fs::copy(dir / "full", dir / "resumed");
  fs::remove(dir / "resumed/config.json");
  fs::remove(dir / "resumed/BRATS_002_y.npy");
  const std::string image3 = test::read_bytes(dir / "resumed/BRATS_003_x.npy");
  test::write_bytes(dir / "resumed/BRATS_003_x.npy", image3.substr(0, image3.size() / 2));
  std::ostringstream again;
  const auto report = preprocess_brats_dir(task, dir / "resumed", options, again, 2);
  CHECK(report.cases_written == 3);
  CHECK(report.cases_resumed == 1);
  CHECK_THAT(again.str(), Contains("BRATS_001: finished by an earlier run") &&
                              Contains("(1 kept from an earlier run)"));
  for (const auto& entry : fs::directory_iterator(dir / "full")) {
    INFO(entry.path().filename());
    CHECK(test::read_bytes(entry.path()) ==
          test::read_bytes(dir / "resumed" / entry.path().filename()));
  }

  options.patch_size = {28, 20};  // other settings: everything again
  std::ostringstream changed;
  CHECK(preprocess_brats_dir(task, dir / "resumed", options, changed, 1).cases_resumed == 0);
}
