#include "catch_torch.hpp"

#include <ATen/Parallel.h>
#include <hdf5.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <vector>

#include "segbench/data/cam5_dataset.hpp"
#include "segbench/data/loader.hpp"
#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
using segbench::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t H = 1, W = 2, C = 16;

/// Stats with minval[c] = c and maxval[c] = c + 4 (scale 0.25), except channel 1:
/// minval 0, maxval 3 (scale float32(1/3)).
void write_stats(const fs::path& path, std::size_t channels = C) {
  std::vector<float> lo(channels), hi(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    lo[c] = static_cast<float>(c);
    hi[c] = static_cast<float>(c) + 4.0f;
  }
  lo[1] = 0.0f;
  hi[1] = 3.0f;
  io::H5Writer writer(path);
  const std::array<std::size_t, 1> shape{channels};
  writer.write("climate/minval", shape, std::span<const float>(lo));
  writer.write("climate/maxval", shape, std::span<const float>(hi));
  writer.commit();
}

/// Pixel p, channel c holds c + p + 1 (channel 1: 5 and 7); labels {2, 1}.
std::vector<float> tiny_values() {
  std::vector<float> values(H * W * C);
  for (std::size_t p = 0; p < H * W; ++p)
    for (std::size_t c = 0; c < C; ++c) values[p * C + c] = static_cast<float>(c + p + 1);
  values[0 * C + 1] = 5.0f;
  values[1 * C + 1] = 7.0f;
  return values;
}

struct Fixture {
  std::vector<std::size_t> data_shape{H, W, C};
  std::vector<float> values = tiny_values();
  std::vector<std::size_t> label_shape{H, W};
  std::vector<std::int32_t> labels{2, 1};
  bool with_data = true, with_labels = true;
};

void write_sample(const fs::path& path, const Fixture& f) {
  io::H5Writer writer(path);
  if (f.with_data) writer.write("climate/data", f.data_shape, std::span<const float>(f.values));
  if (f.with_labels)
    writer.write("climate/labels_0", f.label_shape, std::span<const std::int32_t>(f.labels));
  writer.commit();
}

Sample load_one(const ScratchDir& dir, const Fixture& f, std::vector<int> channels = {}) {
  write_sample(dir / "data-x.h5", f);
  if (channels.empty()) channels = all_cam5_channels();
  return Cam5Hdf5Dataset({dir / "data-x.h5"}, dir / "stats.h5", channels).get(0);
}

}  // namespace

TEST_CASE("cam5 dataset: normalisation by hand (float32, HWC -> CHW, channel selection)",
          "[data]") {
  ScratchDir dir("cam5-ds-norm");
  write_stats(dir / "stats.h5");
  const Sample s = load_one(dir, Fixture{});
  REQUIRE(s.image.scalar_type() == at::kFloat);
  REQUIRE(s.image.sizes() == at::IntArrayRef({16, 1, 2}));
  REQUIRE(s.label.scalar_type() == at::kByte);
  REQUIRE(s.label.sizes() == at::IntArrayRef({1, 1, 2}));
  CHECK(s.case_id == "data-x");
  // (c + p + 1 - c) * 0.25 = (p + 1) / 4 for every channel but 1.
  for (std::int64_t c = 0; c < 16; ++c) {
    if (c == 1) continue;
    CHECK(s.image[c][0][0].item<float>() == 0.25f);
    CHECK(s.image[c][0][1].item<float>() == 0.5f);
  }
  // Channel 1: float32(1/3) * 5 = 0x1.aaaaacp+0 and * 7 = 0x1.2aaaacp+1, the reference's
  // multiply-by-reciprocal values (5/3 and 7/3 rounded would be ...aaaap).
  CHECK(s.image[1][0][0].item<float>() == 0x1.aaaaacp+0f);
  CHECK(s.image[1][0][1].item<float>() == 0x1.2aaaacp+1f);
  CHECK(s.label[0][0][0].item<std::uint8_t>() == 2);
  CHECK(s.label[0][0][1].item<std::uint8_t>() == 1);

  const Sample picked = load_one(dir, Fixture{}, {3, 1});
  REQUIRE(picked.image.sizes() == at::IntArrayRef({2, 1, 2}));
  CHECK(picked.image[0][0][1].item<float>() == 0.5f);
  CHECK(picked.image[1][0][0].item<float>() == 0x1.aaaaacp+0f);
}

TEST_CASE("cam5 dataset: HDF5 and converted .npy give identical samples through the loader",
          "[data]") {
  at::set_num_threads(1);
  ScratchDir dir("cam5-ds-npy");
  prep::Cam5SynthOptions o;
  o.height = 16;
  o.width = 24;
  o.event_scale = 4.0;
  o.train_samples = 3;
  o.validation_samples = 1;
  prep::write_cam5_synthetic(dir / "h5", o);
  prep::write_cam5_stats(dir / "h5" / "stats.h5", prep::compute_cam5_stats(dir / "h5" / "train"));
  prep::convert_cam5_directory(dir / "h5", dir / "npy");

  const auto h5_files = list_cam5_samples(dir / "h5" / "train");
  const auto npy_files = list_cam5_npy_samples(dir / "npy" / "train");
  REQUIRE(h5_files.size() == 3);
  REQUIRE(npy_files.size() == 3);
  const Cam5Hdf5Dataset h5(h5_files, dir / "h5" / "stats.h5");
  const Cam5NpyDataset npy(npy_files, dir / "npy" / "stats.h5");
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(h5.case_id(i) == npy.case_id(i));
    const Sample a = h5.get(i), b = npy.get(i);
    CHECK(at::equal(a.image, b.image));
    CHECK(at::equal(a.label, b.label));
    // min-max over the train set: every train value lies in [0, 1].
    CHECK(a.image.min().item<float>() >= 0.0f);
    CHECK(a.image.max().item<float>() <= 1.0f);
  }
  CHECK(npy.label_file(0).filename() == "label-2000-01-01-00-1.npy");

  PrefetchLoader loader(
      h5, EpochSampler(3, 0, 0, 1, true, true, 2), 2, [](Sample s, Rng&) { return s; }, 0, 2);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  CHECK(batch->image_NCDHW.sizes() == at::IntArrayRef({2, 16, 16, 24}));
  CHECK(batch->label_N1DHW.sizes() == at::IntArrayRef({2, 1, 16, 24}));
  CHECK_FALSE(loader.next());
}

TEST_CASE("cam5 dataset: listing errors name the directory", "[data]") {
  ScratchDir dir("cam5-ds-list");
  REQUIRE_THROWS_WITH(list_cam5_samples(dir / "nope"), Catch::Contains("nope: no such directory"));
  REQUIRE_THROWS_WITH(list_cam5_samples(dir.path()), Catch::Contains("no *.h5 files found"));
  REQUIRE_THROWS_WITH(list_cam5_npy_samples(dir.path()),
                      Catch::Contains("no data *.npy files found"));
}

TEST_CASE("cam5 dataset: each bad input names the file and the dataset", "[data]") {
  ScratchDir dir("cam5-ds-bad");
  write_stats(dir / "stats.h5");

  SECTION("missing climate/data") {
    Fixture f;
    f.with_data = false;
    REQUIRE_THROWS_WITH(load_one(dir, f),
                        Catch::Contains("data-x.h5: dataset climate/data: not found in the file"));
  }
  SECTION("missing climate/labels_0") {
    Fixture f;
    f.with_labels = false;
    REQUIRE_THROWS_WITH(
        load_one(dir, f),
        Catch::Contains("data-x.h5: dataset climate/labels_0: not found in the file"));
  }
  SECTION("data of rank 2") {
    Fixture f;
    f.data_shape = {2, 16};
    REQUIRE_THROWS_WITH(
        load_one(dir, f),
        Catch::Contains(
            "data-x.h5: dataset climate/data: expected shape (H, W, C), found (2, 16)"));
  }
  SECTION("too few channels for the selection") {
    Fixture f;
    f.data_shape = {1, 4, 8};
    REQUIRE_THROWS_WITH(load_one(dir, f),
                        Catch::Contains("data-x.h5: dataset climate/data: expected shape (H, W, "
                                        "C) with C >= 16 (channel 15 selected), found (1, 4, 8)"));
  }
  SECTION("stats channel count differs from the data") {
    write_stats(dir / "stats.h5", 20);
    REQUIRE_THROWS_WITH(load_one(dir, Fixture{}),
                        Catch::Contains("stats.h5: dataset climate/minval: has 20 channels, but") &&
                            Catch::Contains("data-x.h5: dataset climate/data has 16"));
  }
  SECTION("label shape differs from the data") {
    Fixture f;
    f.label_shape = {2, 1};
    REQUIRE_THROWS_WITH(load_one(dir, f),
                        Catch::Contains("data-x.h5: dataset climate/labels_0: expected shape (1, "
                                        "2) to match the data (1, 2, 16), found (2, 1)"));
  }
  SECTION("NaN and Inf") {
    Fixture f;
    f.values[1 * C + 5] = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(load_one(dir, f),
                        Catch::Contains("data-x.h5: dataset climate/data: non-finite value nan at "
                                        "(row 0, column 1, channel 5)"));
    Fixture g;
    g.values[7] = -std::numeric_limits<float>::infinity();
    REQUIRE_THROWS_WITH(load_one(dir, g),
                        Catch::Contains("dataset climate/data: non-finite value -inf at (row 0, "
                                        "column 0, channel 7)"));
  }
  SECTION("labels outside {0, 1, 2}") {
    Fixture f;
    f.labels = {0, 3};
    REQUIRE_THROWS_WITH(load_one(dir, f),
                        Catch::Contains("data-x.h5: dataset climate/labels_0: label 3 at (row 0, "
                                        "column 1), expected 0, 1 or 2"));
    f.labels = {-1, 0};
    REQUIRE_THROWS_WITH(load_one(dir, f), Catch::Contains("label -1 at (row 0, column 0)"));
  }
  SECTION("a data type that is not numeric") {
    write_sample(dir / "data-x.h5", Fixture{});
    const hid_t file = H5Fopen((dir / "data-x.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    H5Ldelete(file, "climate/data", H5P_DEFAULT);
    const hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, 4);
    const hsize_t dims[1] = {1};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const hid_t dataset =
        H5Dcreate2(file, "climate/data", text, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Dwrite(dataset, text, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcd") >= 0);
    H5Dclose(dataset);
    H5Sclose(space);
    H5Tclose(text);
    H5Fclose(file);
    REQUIRE_THROWS_WITH(
        Cam5Hdf5Dataset({dir / "data-x.h5"}, dir / "stats.h5").get(0),
        Catch::Contains("data-x.h5: dataset climate/data: unsupported element type"));
  }
  SECTION("fractional float labels") {
    io::H5Writer writer(dir / "data-x.h5");
    const std::array<std::size_t, 3> shape{H, W, C};
    const std::array<std::size_t, 2> label_shape{H, W};
    const std::vector<float> values = tiny_values(), labels{0.0f, 0.5f};
    writer.write("climate/data", shape, std::span<const float>(values));
    writer.write("climate/labels_0", label_shape, std::span<const float>(labels));
    writer.commit();
    REQUIRE_THROWS_WITH(
        Cam5Hdf5Dataset({dir / "data-x.h5"}, dir / "stats.h5").get(0),
        Catch::Contains("data-x.h5: dataset climate/labels_0: expected integer values, found 0.5"));
  }
  SECTION("missing or short stats.h5") {
    write_sample(dir / "data-x.h5", Fixture{});
    REQUIRE_THROWS_WITH(Cam5Hdf5Dataset({dir / "data-x.h5"}, dir / "none.h5"),
                        Catch::Contains("none.h5: stats file not found"));
    write_stats(dir / "short.h5", 4);
    REQUIRE_THROWS_WITH(
        Cam5Hdf5Dataset({dir / "data-x.h5"}, dir / "short.h5"),
        Catch::Contains(
            "short.h5: dataset climate/minval: channel 4 selected, but the file has 4"));
  }
  SECTION("npy: float64 data and a missing label file") {
    const std::array<std::size_t, 3> shape{H, W, C};
    const std::vector<double> values(H * W * C, 1.0);
    io::write_npy(dir / "data-y.npy", io::NpyDtype::float64, shape, values.data());
    const Cam5NpyDataset npy({dir / "data-y.npy"}, dir / "stats.h5");
    REQUIRE_THROWS_WITH(npy.get(0),
                        Catch::Contains("data-y.npy: data: expected dtype float32, found float64"));
    const std::vector<float> floats = tiny_values();
    io::write_npy(dir / "data-y.npy", io::NpyDtype::float32, shape, floats.data());
    REQUIRE_THROWS_WITH(npy.get(0), Catch::Contains("label-y.npy"));
    const std::array<std::size_t, 2> label_shape{H, W};
    const std::vector<std::uint8_t> labels{1, 7};
    io::write_npy(dir / "label-y.npy", io::NpyDtype::uint8, label_shape, labels.data());
    REQUIRE_THROWS_WITH(npy.get(0), Catch::Contains("label-y.npy: labels: label 7 at (row 0, "
                                                    "column 1), expected 0, 1 or 2"));
  }
}
