#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/io/npy.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_split.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench::prep;
using segbench::DataError;
using segbench::test::ScratchDir;
namespace fs = std::filesystem;
namespace io = segbench::io;

namespace {

Cam5SynthOptions tiny_options() {
  Cam5SynthOptions o;
  o.height = 16;
  o.width = 24;
  o.event_scale = 4.0;
  o.train_samples = 3;
  o.validation_samples = 2;
  return o;
}

/// A (1, 2, 3) sample with the given values and labels {0, 1}.
void write_tiny(const fs::path& path, const std::vector<float>& values) {
  io::H5Writer writer(path);
  const std::array<std::size_t, 3> shape{1, 2, 3};
  const std::array<std::size_t, 2> label_shape{1, 2};
  const std::vector<std::int32_t> labels{0, 1};
  writer.write("climate/data", shape, std::span<const float>(values));
  writer.write("climate/labels_0", label_shape, std::span<const std::int32_t>(labels));
  writer.commit();
}

}  // namespace

TEST_CASE("cam5 synth: file names follow the CAM5 3-hourly no-leap calendar", "[prep]") {
  CHECK(cam5_sample_name(0) == "data-2000-01-01-00-1.h5");
  CHECK(cam5_sample_name(9) == "data-2000-01-02-03-1.h5");
  CHECK(cam5_sample_name(8 * 59) == "data-2000-03-01-00-1.h5");  // no 29 February
  CHECK(cam5_sample_name(8 * 365 + 7) == "data-2001-01-01-21-1.h5");
}

TEST_CASE("cam5 synth: deterministic for a seed, different across seeds and indices", "[prep]") {
  const Cam5SynthOptions o = tiny_options();
  const Cam5Sample a = make_cam5_synthetic_sample(o, 1);
  const Cam5Sample b = make_cam5_synthetic_sample(o, 1);
  CHECK(a.data == b.data);
  CHECK(a.labels == b.labels);
  CHECK(make_cam5_synthetic_sample(o, 2).data != a.data);
  Cam5SynthOptions other = o;
  other.seed = 7;
  CHECK(make_cam5_synthetic_sample(other, 1).data != a.data);
  CHECK(a.data.size() == 16 * 24 * 16);
  CHECK(a.labels.size() == 16 * 24);
}

TEST_CASE("cam5 synth: fields have CAM5 units and ranges, events show in several channels",
          "[prep]") {
  Cam5SynthOptions o;
  o.height = 96;
  o.width = 144;
  o.event_scale = 4.0;
  o.cyclones_per_sample = 3.0;
  Cam5Sample s;
  for (std::size_t index = 0; index < 10; ++index) {  // a sample with cyclones (Poisson count)
    s = make_cam5_synthetic_sample(o, index);
    if (std::count(s.labels.begin(), s.labels.end(), 1) > 0) break;
  }
  const auto channel = [&](std::size_t c) {
    std::vector<float> values;
    for (std::size_t k = c; k < s.data.size(); k += 16) values.push_back(s.data[k]);
    return values;
  };
  const auto mean = [](const std::vector<float>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  const auto psl = channel(7), ts = channel(11), tmq = channel(0), prect = channel(10);
  CHECK(mean(psl) == Approx(1.012e5).epsilon(0.01));
  CHECK(*std::min_element(ts.begin(), ts.end()) > 210.0f);
  CHECK(*std::max_element(ts.begin(), ts.end()) < 315.0f);
  CHECK(*std::min_element(tmq.begin(), tmq.end()) >= 0.0f);
  CHECK(*std::min_element(prect.begin(), prect.end()) >= 0.0f);
  // Row 0 is at 90 S, the middle rows at the equator: a latitude gradient of TS.
  const auto row_mean = [&](const std::vector<float>& v, std::size_t row) {
    return std::accumulate(v.begin() + static_cast<long>(row * 144),
                           v.begin() + static_cast<long>((row + 1) * 144), 0.0) /
           144.0;
  };
  CHECK(row_mean(ts, 48) - row_mean(ts, 2) > 40.0);

  // Cyclone pixels: low pressure, strong surface wind, moist; compared with the other
  // tropical pixels (|lat| < 30) of the same sample.
  double cyclone_psl = 0, tropic_psl = 0, cyclone_wind = 0, tropic_wind = 0;
  int cyclones = 0, tropics = 0;
  for (std::size_t j = 0; j < 96; ++j) {
    const double lat = -90.0 + (static_cast<double>(j) + 0.5) * 180.0 / 96.0;
    for (std::size_t i = 0; i < 144; ++i) {
      const std::size_t k = j * 144 + i;
      const double wind = std::hypot(s.data[k * 16 + 3], s.data[k * 16 + 4]);
      if (s.labels[k] == 1) {
        cyclone_psl += psl[k];
        cyclone_wind += wind;
        ++cyclones;
      } else if (std::abs(lat) < 30 && s.labels[k] == 0) {
        tropic_psl += psl[k];
        tropic_wind += wind;
        ++tropics;
      }
    }
  }
  REQUIRE(cyclones > 0);
  CHECK(cyclone_psl / cyclones < tropic_psl / tropics - 1000.0);
  CHECK(cyclone_wind / cyclones > 2.0 * tropic_wind / tropics);
}

TEST_CASE("cam5 synth: class fractions are near the reference's frequencies", "[prep]") {
  // Event sizes scale with the grid, so a quarter-resolution grid keeps the fractions
  // (cyclones come out a little larger from pixel rounding). 48 samples average the Poisson
  // counts; the reference frequencies are 0.98627, 0.000458, 0.01327.
  Cam5SynthOptions o;
  o.height = 192;
  o.width = 288;
  o.noise = 0.0;
  std::array<double, 3> counts{0, 0, 0};
  for (std::size_t index = 0; index < 48; ++index) {
    for (std::int32_t label : make_cam5_synthetic_sample(o, index).labels) ++counts[label];
  }
  const double total = counts[0] + counts[1] + counts[2];
  CHECK(counts[0] / total == Approx(0.98627).margin(0.004));
  CHECK(counts[1] / total == Approx(0.000458).margin(0.00025));
  CHECK(counts[2] / total == Approx(0.01327).margin(0.004));
}

TEST_CASE("cam5 synth: writes train/ and validation/ (or all/) with progress lines", "[prep]") {
  ScratchDir dir("cam5-synth");
  std::ostringstream progress;
  const auto files = write_cam5_synthetic(dir.path(), tiny_options(), &progress);
  REQUIRE(files.size() == 5);
  CHECK(files[0] == dir / "train" / "data-2000-01-01-00-1.h5");
  CHECK(files[3] == dir / "validation" / "data-2000-01-01-09-1.h5");
  CHECK(io::list_h5_files(dir / "train").size() == 3);
  CHECK(io::list_h5_files(dir / "validation").size() == 2);
  CHECK_THAT(progress.str(), Catch::Contains("[5/5] wrote"));
  Cam5SynthOptions flat = tiny_options();
  flat.flat = true;
  write_cam5_synthetic(dir / "flat", flat);
  CHECK(io::list_h5_files(dir / "flat" / "all", "data-").size() == 5);
}

TEST_CASE("cam5 stats: values by hand over two files", "[prep]") {
  ScratchDir dir("cam5-stats");
  fs::create_directories(dir / "train");
  // pixels (c0, c1, c2): (1, 10, 100), (3, 20, -100) and (5, 30, 0), (7, 40, 50)
  write_tiny(dir / "train" / "data-a.h5", {1, 10, 100, 3, 20, -100});
  write_tiny(dir / "train" / "data-b.h5", {5, 30, 0, 7, 40, 50});
  const Cam5Stats stats = compute_cam5_stats(dir / "train");
  CHECK(stats.count == 2);
  CHECK(stats.minval == std::vector<double>{1, 10, -100});
  CHECK(stats.maxval == std::vector<double>{7, 40, 100});
  CHECK(stats.mean == std::vector<double>{4, 25, 12.5});
  CHECK(stats.sqmean == std::vector<double>{21, 750, 5625});

  write_cam5_stats(dir / "stats.h5", stats);
  const io::H5Reader reader(dir / "stats.h5");
  CHECK(reader.list_datasets() == std::vector<std::string>{"climate/count", "climate/maxval",
                                                           "climate/mean", "climate/minval",
                                                           "climate/sqmean"});
  CHECK(reader.read_int64("climate/count").values == std::vector<std::int64_t>{2});
  CHECK(reader.read_int64("climate/count").shape.empty());
  CHECK(reader.info("climate/minval").dtype == io::H5Dtype::float32);
  CHECK(reader.read_float32("climate/sqmean").values == std::vector<float>{21, 750, 5625});

  const Cam5MinMax selected = read_cam5_stats(dir / "stats.h5", {2, 0}, 3);
  CHECK(selected.channel_count == 3);
  CHECK(selected.minval == std::vector<double>{-100, 1});
  CHECK(selected.maxval == std::vector<double>{100, 7});
}

TEST_CASE("cam5 stats: rejects mixed channel counts and bad stats files", "[prep]") {
  ScratchDir dir("cam5-stats-bad");
  REQUIRE_THROWS_WITH(compute_cam5_stats(dir / "train"), Catch::Contains("no such directory"));
  fs::create_directories(dir / "train");
  REQUIRE_THROWS_WITH(compute_cam5_stats(dir / "train"), Catch::Contains("no *.h5 files found"));
  write_tiny(dir / "train" / "data-a.h5", {1, 2, 3, 4, 5, 6});
  {
    io::H5Writer writer(dir / "train" / "data-b.h5");
    const std::array<std::size_t, 3> shape{1, 3, 2};
    const std::vector<float> values{1, 2, 3, 4, 5, 6};
    writer.write("climate/data", shape, std::span<const float>(values));
    writer.commit();
  }
  REQUIRE_THROWS_WITH(compute_cam5_stats(dir / "train"),
                      Catch::Contains("data-b.h5: dataset climate/data: has 2 channels, but") &&
                          Catch::Contains("data-a.h5 has 3"));

  REQUIRE_THROWS_WITH(read_cam5_stats(dir / "stats.h5", {0}),
                      Catch::Contains("stats.h5: stats file not found"));
  {
    io::H5Writer writer(dir / "stats.h5");
    const std::array<std::size_t, 1> shape{3}, short_shape{2};
    const std::vector<float> lo{0, 1, 5}, hi{1, 1};
    writer.write("climate/minval", shape, std::span<const float>(lo));
    writer.write("climate/maxval", short_shape, std::span<const float>(hi));
    writer.commit();
  }
  REQUIRE_THROWS_WITH(
      read_cam5_stats(dir / "stats.h5", {0}),
      Catch::Contains("stats.h5: dataset climate/maxval: has 2 channels but climate/minval has 3"));
  {
    io::H5Writer writer(dir / "stats.h5");
    const std::array<std::size_t, 1> shape{3};
    const std::vector<float> lo{0, 1, 5}, hi{1, 1, 6};
    writer.write("climate/minval", shape, std::span<const float>(lo));
    writer.write("climate/maxval", shape, std::span<const float>(hi));
    writer.commit();
  }
  CHECK(read_cam5_stats(dir / "stats.h5", {0, 2}).minval == std::vector<double>{0, 5});
  REQUIRE_THROWS_WITH(read_cam5_stats(dir / "stats.h5", {0}, 16),
                      Catch::Contains("stats.h5: dataset climate/minval: has 3 channels, expected "
                                      "16"));
  REQUIRE_THROWS_WITH(read_cam5_stats(dir / "stats.h5", {3}),
                      Catch::Contains("channel 3 selected, but the file has 3 channels"));
  REQUIRE_THROWS_WITH(
      read_cam5_stats(dir / "stats.h5", {1}),
      Catch::Contains("dataset climate/maxval: channel 1 has maxval 1 <= minval 1"));
  {
    io::H5Writer writer(dir / "stats.h5");
    const std::array<std::size_t, 1> shape{3};
    const std::vector<float> lo{0, 1, 5};
    writer.write("climate/minval", shape, std::span<const float>(lo));
    writer.commit();
  }
  REQUIRE_THROWS_WITH(read_cam5_stats(dir / "stats.h5", {0}),
                      Catch::Contains("stats.h5: dataset climate/maxval: not found in the file"));
}

TEST_CASE("cam5 stats: normalisation multiplies by the float32 reciprocal, as the reference",
          "[prep]") {
  // cam_hdf5_dataset.py: scale = 1. / (maxval - minval) on float32 arrays stays float32, and
  // x' = scale * (x - minval). For minval 0, maxval 3 the scale is float32(1/3) =
  // 0x1.555556p-2, and x = 5 gives 0x1.aaaaacp+0, one ulp above 5/3 rounded (0x1.aaaaaap+0).
  Cam5MinMax stats;
  stats.minval = {0.0, 2.0};
  stats.maxval = {3.0, 6.0};
  stats.dtype = io::H5Dtype::float32;
  const Cam5Normalization n = cam5_normalization(stats);
  CHECK(n.shift == std::vector<float>{0.0f, 2.0f});
  CHECK(n.scale == std::vector<float>{0x1.555556p-2f, 0.25f});
  volatile float x = 5.0f;  // keep the product in float32 at run time
  CHECK(n.scale[0] * (x - n.shift[0]) == 0x1.aaaaacp+0f);
  // float64 stats: the reciprocal in double, then rounded (numpy astype(float32)).
  stats.dtype = io::H5Dtype::float64;
  stats.minval = {0.1};
  stats.maxval = {0.7};
  CHECK(cam5_normalization(stats).scale[0] == static_cast<float>(1.0 / (0.7 - 0.1)));
  CHECK(cam5_normalization(stats).shift[0] == 0.1f);
}

TEST_CASE("cam5 convert: .npy pairs equal the HDF5 content, layout and stats kept", "[prep]") {
  ScratchDir dir("cam5-convert");
  const auto files = write_cam5_synthetic(dir / "h5", tiny_options());
  write_cam5_stats(dir / "h5" / "stats.h5", compute_cam5_stats(dir / "h5" / "train"));
  std::ostringstream progress;
  const Cam5ConvertReport report = convert_cam5_directory(dir / "h5", dir / "npy", &progress);
  CHECK(report.samples == 5);
  CHECK(report.copied_stats);
  CHECK(fs::is_regular_file(dir / "npy" / "stats.h5"));
  CHECK_THAT(progress.str(), Catch::Contains("(stats.h5 copied)"));
  for (const fs::path& h5 : files) {
    const fs::path out = dir / "npy" / h5.parent_path().filename();
    const io::H5Reader reader(h5);
    const io::NpyArray data = io::read_npy(out / cam5_data_npy_name(h5));
    const io::NpyArray labels = io::read_npy(out / cam5_label_npy_name(h5));
    CHECK(data.dtype == io::NpyDtype::float32);
    CHECK(data.shape == std::vector<std::size_t>{16, 24, 16});
    const auto expected = reader.read_float32("climate/data").values;
    CHECK(std::equal(expected.begin(), expected.end(), data.data<float>()));
    CHECK(labels.dtype == io::NpyDtype::int32);
    CHECK(labels.shape == std::vector<std::size_t>{16, 24});
    const auto expected_labels = reader.read_int64("climate/labels_0").values;
    CHECK(std::equal(expected_labels.begin(), expected_labels.end(), labels.data<std::int32_t>()));
  }
  CHECK(cam5_data_npy_name("x/data-2000-01-01-00-1.h5") == "data-2000-01-01-00-1.npy");
  CHECK(cam5_label_npy_name("x/data-2000-01-01-00-1.h5") == "label-2000-01-01-00-1.npy");
  CHECK(cam5_label_npy_name("x/sample7.h5") == "label-sample7.npy");
  REQUIRE_THROWS_WITH(convert_cam5_directory(dir / "npy" / "train", dir / "again"),
                      Catch::Contains("expected train/, validation/ or test/ subdirectories"));
}

TEST_CASE("cam5 convert: a sample without labels_0 or with a wrong label shape is named",
          "[prep]") {
  ScratchDir dir("cam5-convert-bad");
  {
    io::H5Writer writer(dir / "data-x.h5");
    const std::array<std::size_t, 3> shape{1, 2, 3};
    const std::vector<float> values{1, 2, 3, 4, 5, 6};
    writer.write("climate/data", shape, std::span<const float>(values));
    writer.commit();
  }
  REQUIRE_THROWS_WITH(convert_cam5_sample(dir / "data-x.h5", dir / "out"),
                      Catch::Contains("data-x.h5: dataset climate/labels_0: not found"));
  {
    io::H5Writer writer(dir / "data-y.h5");
    const std::array<std::size_t, 3> shape{1, 2, 3};
    const std::array<std::size_t, 2> label_shape{2, 1};
    const std::vector<float> values{1, 2, 3, 4, 5, 6};
    const std::vector<std::int32_t> labels{0, 0};
    writer.write("climate/data", shape, std::span<const float>(values));
    writer.write("climate/labels_0", label_shape, std::span<const std::int32_t>(labels));
    writer.commit();
  }
  REQUIRE_THROWS_WITH(
      convert_cam5_sample(dir / "data-y.h5", dir / "out"),
      Catch::Contains("data-y.h5: dataset climate/labels_0: expected shape (1, 2), found (2, 1)"));
}

TEST_CASE("cam5 split: the submitters' split_data.py membership (numpy cross-check)", "[prep]") {
  // 23 names data-2000-01-DD-HH-1.h5 (3-hourly from 01-00). Expected lists from
  // np.random.seed(12345); np.random.shuffle(sorted(files)) and int(n*0.8), int(n*0.1), rest,
  // computed with /usr/bin/python3 (MT19937 legacy shuffle; see the report) and pasted here.
  std::vector<std::string> names;
  for (std::size_t k = 0; k < 23; ++k) names.push_back(cam5_sample_name(22 - k));  // unsorted
  const auto name = [](const char* day_hour) {
    return std::string("data-2000-01-") + day_hour + "-1.h5";
  };
  std::vector<std::string> train, validation, test;
  for (const char* dh :
       {"02-06", "03-09", "02-00", "03-03", "01-09", "02-12", "03-00", "01-00", "02-21", "01-21",
        "03-06", "02-09", "02-18", "01-18", "03-12", "02-15", "03-18", "03-15"})
    train.push_back(name(dh));
  for (const char* dh : {"02-03", "01-12"}) validation.push_back(name(dh));
  for (const char* dh : {"01-03", "01-15", "01-06"}) test.push_back(name(dh));
  const Cam5Split split = split_cam5_names(names);
  CHECK(split.train == train);
  CHECK(split.validation == validation);
  CHECK(split.test == test);

  // Sizes: int(n * 0.8), int(n * 0.1), the rest.
  const auto sizes = [](std::size_t n) {
    std::vector<std::string> many(n);
    for (std::size_t k = 0; k < n; ++k) many[k] = cam5_sample_name(k);
    const Cam5Split s = split_cam5_names(many);
    return std::array<std::size_t, 3>{s.train.size(), s.validation.size(), s.test.size()};
  };
  CHECK(sizes(10) == std::array<std::size_t, 3>{8, 1, 1});
  CHECK(sizes(9) == std::array<std::size_t, 3>{7, 0, 2});
  CHECK(sizes(1) == std::array<std::size_t, 3>{0, 0, 1});
}

TEST_CASE("cam5 split: links (or copies) into train/validation/test", "[prep]") {
  ScratchDir dir("cam5-split");
  fs::create_directories(dir / "all");
  for (std::size_t k = 0; k < 10; ++k) dir.touch("all/" + cam5_sample_name(k));
  dir.touch("all/stats.h5");  // not a data* file: ignored, as split_data.py
  std::ostringstream progress;
  const Cam5Split split = split_cam5_directory(dir / "all", dir.path(), {}, &progress);
  CHECK(split.train.size() == 8);
  CHECK(io::list_h5_files(dir / "train").size() == 8);
  CHECK(io::list_h5_files(dir / "validation").size() == 1);
  CHECK(io::list_h5_files(dir / "test").size() == 1);
  const fs::path link = dir / "train" / split.train[0];
  CHECK(fs::is_symlink(link));
  CHECK(fs::read_symlink(link) == fs::absolute(dir / "all" / split.train[0]));
  CHECK_THAT(progress.str(), Catch::Contains("train: 8 files linked"));
  REQUIRE_THROWS_WITH(split_cam5_directory(dir / "all", dir.path()),
                      Catch::Contains("exists already"));

  Cam5SplitOptions copy;
  copy.copy = true;
  split_cam5_directory(dir / "all", dir / "copied", copy);
  CHECK_FALSE(fs::is_symlink(dir / "copied" / "test" / split.test[0]));
  CHECK(fs::is_regular_file(dir / "copied" / "test" / split.test[0]));

  fs::create_directories(dir / "empty");
  REQUIRE_THROWS_WITH(split_cam5_directory(dir / "empty", dir / "out"),
                      Catch::Contains("empty: no data*.h5 files found"));
}
