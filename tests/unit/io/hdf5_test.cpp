#include <hdf5.h>
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "support/scratch_dir.hpp"

using segbench::DataError;
using segbench::io::H5Dtype;
using segbench::io::H5Reader;
using segbench::io::H5Writer;
using segbench::test::ScratchDir;
namespace fs = std::filesystem;

namespace {

/// Writes one dataset with the raw HDF5 C API (independent of the wrapper under test):
/// `file_type` on disk, `memory_type` in memory.
void raw_dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims, hid_t file_type,
                 hid_t memory_type, const void* values) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t dataset = H5Dcreate2(file, name, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(dataset >= 0);
  REQUIRE(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
  H5Dclose(dataset);
  H5Pclose(lcpl);
  H5Sclose(space);
}

/// A file holding one dataset that is never written (no raw data stored): float32 of
/// `space` (consumed) at `name`, parents created, in `layout`.
void unwritten_dataset(const fs::path& path, const char* name, hid_t space,
                       H5D_layout_t layout = H5D_CONTIGUOUS) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_layout(create, layout);
  const hid_t dataset = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, lcpl, create, H5P_DEFAULT);
  REQUIRE(dataset >= 0);
  H5Dclose(dataset);
  H5Pclose(create);
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Fclose(file);
}

/// IEEE half precision as h5py declares numpy float16.
hid_t half_type() {
  const hid_t type = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(type, 15, 10, 5, 0, 10);
  H5Tset_size(type, 2);
  H5Tset_ebias(type, 15);
  return type;
}

}  // namespace

TEST_CASE("hdf5: reads a fixture written with the raw C API (float64, float16, uint8, int16)",
          "[io]") {
  ScratchDir dir("hdf5-raw");
  const fs::path path = dir / "raw.h5";
  const std::vector<double> f64{1.5, -2.25, 1048576.0, 0.125};  // exact in float32
  const std::vector<float> halves{1.5f, -2.25f, 1024.0f, 0.0f, 65504.0f, -0.5f};
  const std::vector<std::uint8_t> u8{0, 1, 2, 255};
  const std::vector<std::int16_t> i16{-300, 7};
  {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(file >= 0);
    raw_dataset(file, "climate/data", {2, 2}, H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, f64.data());
    const hid_t half = half_type();
    raw_dataset(file, "climate/half", {2, 3}, half, H5T_NATIVE_FLOAT, halves.data());
    H5Tclose(half);
    raw_dataset(file, "climate/labels_0", {4}, H5T_STD_U8LE, H5T_NATIVE_UINT8, u8.data());
    raw_dataset(file, "other/i16", {1, 2}, H5T_STD_I16BE, H5T_NATIVE_INT16, i16.data());
    H5Fclose(file);
  }
  const H5Reader reader(path);
  CHECK(reader.list_datasets() ==
        std::vector<std::string>{"climate/data", "climate/half", "climate/labels_0", "other/i16"});
  CHECK(reader.has_dataset("climate/data"));
  CHECK_FALSE(reader.has_dataset("climate"));  // a group
  CHECK_FALSE(reader.has_dataset("nothing/here"));

  const auto info = reader.info("climate/data");
  CHECK(info.dtype == H5Dtype::float64);
  CHECK(info.shape == std::vector<std::size_t>{2, 2});
  CHECK(reader.read_float64("climate/data").values == f64);
  const auto as_float = reader.read_float32("climate/data");
  CHECK(as_float.stored == H5Dtype::float64);
  CHECK(as_float.values == std::vector<float>{1.5f, -2.25f, 1048576.0f, 0.125f});

  const auto half = reader.read_float32("climate/half");
  CHECK(half.stored == H5Dtype::float16);
  CHECK(half.shape == std::vector<std::size_t>{2, 3});
  CHECK(half.values == halves);  // all exactly representable in float16

  const auto labels = reader.read_int64("climate/labels_0");
  CHECK(labels.stored == H5Dtype::uint8);
  CHECK(labels.values == std::vector<std::int64_t>{0, 1, 2, 255});
  const auto big_endian = reader.read_int64("other/i16");
  CHECK(big_endian.stored == H5Dtype::int16);
  CHECK(big_endian.values == std::vector<std::int64_t>{-300, 7});
  CHECK(reader.read_float32("other/i16").values == std::vector<float>{-300.0f, 7.0f});
}

TEST_CASE("hdf5: integer reads of float data need integral values", "[io]") {
  ScratchDir dir("hdf5-intfloat");
  H5Writer writer(dir / "labels.h5");
  const std::array<std::size_t, 1> shape{3};
  const std::vector<float> integral{0.0f, 1.0f, 2.0f}, fractional{0.0f, 1.5f, 2.0f};
  writer.write("a", shape, std::span<const float>(integral));
  writer.write("b", shape, std::span<const float>(fractional));
  writer.commit();
  const H5Reader reader(dir / "labels.h5");
  CHECK(reader.read_int64("a").values == std::vector<std::int64_t>{0, 1, 2});
  REQUIRE_THROWS_WITH(reader.read_int64("b"),
                      Catch::Contains("labels.h5: dataset b: expected integer values, found 1.5"));
}

TEST_CASE("hdf5: writer round trip of every element type, groups and a scalar", "[io]") {
  ScratchDir dir("hdf5-writer");
  const fs::path path = dir / "sub" / "out.h5";
  const std::vector<float> f32{1.0f, 2.5f, -3.0f, 4.0f, 5.0f, 6.0f};
  const std::vector<double> f64{0.1, 0.2};
  const std::vector<std::int32_t> i32{-7, 8, 9};
  const std::vector<std::uint8_t> u8{3, 2, 1, 0};
  const std::vector<std::int64_t> count{42};
  {
    H5Writer writer(path);
    writer.create_group("empty/group");
    const std::array<std::size_t, 3> shape3{1, 2, 3};
    const std::array<std::size_t, 1> shape1{2}, shape_i{3};
    const std::array<std::size_t, 2> shape2{2, 2};
    writer.write("climate/data", shape3, std::span<const float>(f32));
    writer.write("climate/mean", shape1, std::span<const double>(f64));
    writer.write("climate/labels_0", shape_i, std::span<const std::int32_t>(i32));
    writer.write("mask", shape2, std::span<const std::uint8_t>(u8));
    writer.write("climate/count", std::span<const std::size_t>(),
                 std::span<const std::int64_t>(count));
    CHECK_FALSE(fs::exists(path));  // not in place before commit
    REQUIRE_THROWS_WITH(
        writer.write("bad", shape2, std::span<const float>(f32)),
        Catch::Contains("out.h5: dataset bad: shape (2, 2) needs 4 values, given 6"));
    writer.commit();
  }
  const H5Reader reader(path);
  CHECK(reader.list_datasets() == std::vector<std::string>{"climate/count", "climate/data",
                                                           "climate/labels_0", "climate/mean",
                                                           "mask"});
  const auto data = reader.read_float32("climate/data");
  CHECK(data.stored == H5Dtype::float32);
  CHECK(data.shape == std::vector<std::size_t>{1, 2, 3});
  CHECK(data.values == f32);
  CHECK(reader.read_float64("climate/mean").values == f64);
  CHECK(reader.info("climate/labels_0").dtype == H5Dtype::int32);
  CHECK(reader.read_int64("climate/labels_0").values == std::vector<std::int64_t>{-7, 8, 9});
  CHECK(reader.info("mask").dtype == H5Dtype::uint8);
  const auto scalar = reader.read_int64("climate/count");
  CHECK(scalar.shape.empty());
  CHECK(scalar.values == std::vector<std::int64_t>{42});
}

TEST_CASE("hdf5: a writer that is not committed leaves nothing behind", "[io]") {
  ScratchDir dir("hdf5-abort");
  {
    H5Writer writer(dir / "never.h5");
    const std::array<std::size_t, 1> shape{1};
    const std::vector<float> one{1.0f};
    writer.write("x", shape, std::span<const float>(one));
  }
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("hdf5: a generated CAM5 sample reads back as written", "[io]") {
  ScratchDir dir("hdf5-cam5");
  segbench::prep::Cam5SynthOptions options;
  options.height = 16;
  options.width = 24;
  options.event_scale = 4.0;
  const auto sample = segbench::prep::make_cam5_synthetic_sample(options, 3);
  const fs::path path = dir / segbench::prep::cam5_sample_name(3);
  segbench::prep::write_cam5_sample(path, sample);
  const H5Reader reader(path);
  CHECK(reader.list_datasets() == std::vector<std::string>{"climate/data", "climate/labels_0"});
  const auto data = reader.read_float32("climate/data");
  CHECK(data.stored == H5Dtype::float32);
  CHECK(data.shape == std::vector<std::size_t>{16, 24, 16});
  CHECK(data.values == sample.data);
  const auto labels = reader.read_int64("climate/labels_0");
  CHECK(labels.stored == H5Dtype::int32);
  CHECK(labels.shape == std::vector<std::size_t>{16, 24});
  CHECK(std::equal(labels.values.begin(), labels.values.end(), sample.labels.begin(),
                   sample.labels.end()));
}

TEST_CASE("hdf5: errors name the file and the dataset", "[io]") {
  ScratchDir dir("hdf5-errors");
  REQUIRE_THROWS_WITH(H5Reader(dir / "missing.h5"), Catch::Contains("missing.h5: no such file"));
  segbench::test::write_bytes(dir / "text.h5", "not hdf5 at all");
  REQUIRE_THROWS_WITH(H5Reader(dir / "text.h5"), Catch::Contains("text.h5: not an HDF5 file"));

  H5Writer writer(dir / "one.h5");
  const std::array<std::size_t, 1> shape{1};
  const std::vector<float> one{1.0f};
  writer.write("climate/data", shape, std::span<const float>(one));
  writer.commit();
  const H5Reader reader(dir / "one.h5");
  REQUIRE_THROWS_WITH(reader.read_float32("climate/labels_0"),
                      Catch::Contains("one.h5: dataset climate/labels_0: not found in the file"));
  REQUIRE_THROWS_WITH(reader.read_float32("nothing/labels_0"),
                      Catch::Contains("one.h5: dataset nothing/labels_0: not found"));
  REQUIRE_THROWS_WITH(reader.info("climate"),
                      Catch::Contains("one.h5: dataset climate: exists but is not a dataset"));
}

TEST_CASE("hdf5: list_h5_files sorts by name and rejects empty directories", "[io]") {
  ScratchDir dir("hdf5-list");
  REQUIRE_THROWS_WITH(segbench::io::list_h5_files(dir.path()),
                      Catch::Contains("no *.h5 files found"));
  REQUIRE_THROWS_WITH(segbench::io::list_h5_files(dir / "absent"),
                      Catch::Contains("absent: no such directory"));
  dir.touch("data-b.h5");
  dir.touch("data-a.h5");
  dir.touch("Z.h5");
  dir.touch("notes.txt");
  const auto all = segbench::io::list_h5_files(dir.path());
  REQUIRE(all.size() == 3);
  CHECK(all[0].filename() == "Z.h5");  // byte order: upper case first, as Python's sorted()
  CHECK(all[1].filename() == "data-a.h5");
  CHECK(all[2].filename() == "data-b.h5");
  CHECK(segbench::io::list_h5_files(dir.path(), "data").size() == 2);
}

TEST_CASE("hdf5: a shape larger than the file can hold is refused before allocating", "[io]") {
  ScratchDir dir("hdf5");
  const fs::path path = dir / "huge.h5";
  // Contiguous storage is allocated at the first write: never written, the file stays a
  // few KB while its header claims 2^44 floats (64 TiB).
  const std::vector<hsize_t> dims{hsize_t{1} << 20, hsize_t{1} << 20, 16};
  unwritten_dataset(path, "climate/data", H5Screate_simple(3, dims.data(), nullptr));
  REQUIRE(fs::file_size(path) < 100000);
  const H5Reader reader(path);
  REQUIRE_THROWS_WITH(reader.read_float32("climate/data"),
                      Catch::Contains("huge.h5: dataset climate/data") &&
                          Catch::Contains("(1048576, 1048576, 16)") &&
                          Catch::Contains("more than the file"));
  REQUIRE_THROWS_WITH(reader.info("climate/data"), Catch::Contains("more than the file"));
}

TEST_CASE("hdf5: a dataset with a null dataspace is refused, not read as a scalar", "[io]") {
  // fuzz_hdf5 found it: a contiguous H5S_NULL dataset read as one value 0 (rank 0 looks like
  // a scalar), and a compact one was called corrupt storage.
  const ScratchDir dir("hdf5-null-space");
  for (const H5D_layout_t layout : {H5D_CONTIGUOUS, H5D_COMPACT}) {
    const fs::path path = dir.path() / (layout == H5D_COMPACT ? "compact.h5" : "contiguous.h5");
    unwritten_dataset(path, "data", H5Screate(H5S_NULL), layout);
    const H5Reader reader(path);
    REQUIRE(reader.list_datasets() == std::vector<std::string>{"data"});
    REQUIRE_THROWS_WITH(reader.read_float32("data"),
                        Catch::Contains(path.string() + ": dataset data: holds no values"));
    REQUIRE_THROWS_WITH(reader.info("data"), Catch::Contains("null dataspace"));
  }
}

TEST_CASE("hdf5: fuzz regression: a compact layout smaller than the shape is refused", "[io]") {
  // fuzz_hdf5 found it: climate/data's layout message says compact with 1 stored byte for a
  // (4, 3, 2) float32 shape; HDF5 1.10's H5Dread then copied 96 bytes out of that 1-byte
  // buffer (heap-buffer-overflow inside libhdf5).
  const fs::path path = fs::path(SEGBENCH_TEST_DATA_DIR) / "fuzz-regressions" / "hdf5_bytes" /
                        "compact_size_mismatch.h5";
  const H5Reader reader(path);
  REQUIRE_THROWS_WITH(reader.read_float32("climate/data"),
                      Catch::Contains(path.string() + ": dataset climate/data") &&
                          Catch::Contains("corrupt storage") &&
                          Catch::Contains("compact layout holds 1"));
}

TEST_CASE("hdf5: fuzz regression: a corrupt group structure does not walk for minutes", "[io]") {
  // fuzz_hdf5 found it: a mutated symbol table made H5Lvisit (list_datasets) run for more than
  // 100 s; the walk now stops at 10000 objects or 32 levels.
  const fs::path path = fs::path(SEGBENCH_TEST_DATA_DIR) / "fuzz-regressions" / "hdf5_bytes" /
                        "link_walk_for_minutes.h5";
  const H5Reader reader(path);
  REQUIRE_THROWS_WITH(reader.list_datasets(),
                      Catch::Contains(path.string()) && Catch::Contains("corrupt group structure"));
}
