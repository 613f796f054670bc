#include <catch2/catch.hpp>

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/nifti.hpp"
#include "support/scratch_dir.hpp"

using segbench::DataError;
using segbench::io::NiftiStorage;
using segbench::io::NiftiVolume;
using segbench::io::read_nifti;
using segbench::io::write_nifti;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;
using segbench::test::write_bytes;

namespace {

template <class T>
void put(std::string& bytes, std::size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

/// A single-file NIfTI-1 image built by hand (little endian): 348-byte header, 4 extension
/// bytes, then `data` (voxels in file order, x fastest).
std::string nifti1_bytes(const std::vector<std::int16_t>& dims, std::int16_t datatype,
                         std::int16_t bitpix, std::array<float, 3> spacing, float slope,
                         float inter, const std::string& data) {
  std::string bytes(352, '\0');
  put<std::int32_t>(bytes, 0, 348);
  put<std::int16_t>(bytes, 40, static_cast<std::int16_t>(dims.size()));
  for (std::size_t a = 0; a < dims.size(); ++a) put<std::int16_t>(bytes, 42 + 2 * a, dims[a]);
  put<std::int16_t>(bytes, 70, datatype);
  put<std::int16_t>(bytes, 72, bitpix);
  put<float>(bytes, 76, 1.0f);
  for (std::size_t a = 0; a < 3; ++a) put<float>(bytes, 80 + 4 * a, spacing[a]);
  put<float>(bytes, 108, 352.0f);
  put<float>(bytes, 112, slope);
  put<float>(bytes, 116, inter);
  std::memcpy(bytes.data() + 344, "n+1\0", 4);
  return bytes + data;
}

/// Voxel (i, j, k) of a (2, 3, 4) volume holds 100 i + 10 j + k, written x fastest.
std::string int16_ramp_file_order() {
  std::string data;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) {
        std::int16_t v = static_cast<std::int16_t>(100 * i + 10 * j + k);
        data.append(reinterpret_cast<const char*>(&v), 2);
      }
  return data;
}

void gzip_file(const std::filesystem::path& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

std::vector<float> c_order_values(const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  std::vector<float> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<float>(i % 251) - 100.0f;
  return values;
}

}  // namespace

TEST_CASE("nifti round trips shape, spacing and values for each storage", "[io]") {
  ScratchDir dir("nifti");
  const std::vector<std::size_t> shape{3, 4, 5};
  const std::array<double, 3> spacing{3.0, 0.78125, 0.5};
  const std::vector<float> values = c_order_values(shape);

  SECTION("int16 .nii.gz") {
    write_nifti(dir / "a.nii.gz", shape, spacing, values, NiftiStorage::int16);
    const NiftiVolume volume = read_nifti(dir / "a.nii.gz");
    CHECK(volume.shape == shape);
    CHECK(volume.datatype == 4);
    CHECK(volume.spacing[0] == 3.0);
    CHECK(volume.spacing[1] == 0.78125);
    CHECK(volume.spacing[2] == 0.5);
    CHECK(volume.data == values);
    // gzip magic: the .gz extension selects compression
    CHECK(read_bytes(dir / "a.nii.gz").substr(0, 2) == "\x1f\x8b");
  }
  SECTION("uint8 .nii rounds to nearest") {
    std::vector<float> labels{0.f, 1.f, 2.f, 1.4f, 1.6f, 255.f};
    write_nifti(dir / "b.nii", {1, 2, 3}, spacing, labels, NiftiStorage::uint8);
    const NiftiVolume volume = read_nifti(dir / "b.nii");
    CHECK(volume.datatype == 2);
    CHECK(volume.data == std::vector<float>{0.f, 1.f, 2.f, 1.f, 2.f, 255.f});
  }
  SECTION("float32 4-D") {
    const std::vector<std::size_t> shape4{2, 3, 4, 2};
    std::vector<float> values4 = c_order_values(shape4);
    values4[5] = 0.125f;
    write_nifti(dir / "c.nii.gz", shape4, spacing, values4, NiftiStorage::float32);
    const NiftiVolume volume = read_nifti(dir / "c.nii.gz");
    CHECK(volume.shape == shape4);
    CHECK(volume.datatype == 16);
    CHECK(volume.data == values4);
  }
  SECTION("values that do not fit the storage") {
    std::vector<float> too_big(60, 0.f);
    too_big[7] = 40000.f;
    REQUIRE_THROWS_WITH(write_nifti(dir / "d.nii.gz", shape, spacing, too_big, NiftiStorage::int16),
                        Catch::Contains("d.nii.gz") && Catch::Contains("40000") &&
                            Catch::Contains("[-32768, 32767]"));
    CHECK_FALSE(std::filesystem::exists(dir / "d.nii.gz"));
  }
}

TEST_CASE("read_nifti presents file order (x fastest) as a C-order array", "[io]") {
  ScratchDir dir("nifti");
  write_bytes(dir / "ramp.nii", nifti1_bytes({2, 3, 4}, 4, 16, {2.5f, 1.5f, 0.5f}, 0.f, 0.f,
                                             int16_ramp_file_order()));
  const NiftiVolume volume = read_nifti(dir / "ramp.nii");
  REQUIRE(volume.shape == std::vector<std::size_t>{2, 3, 4});
  CHECK(volume.spacing == std::array<double, 3>{2.5, 1.5, 0.5});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) CHECK(volume.data[(i * 3 + j) * 4 + k] == 100 * i + 10 * j + k);
}

TEST_CASE("read_nifti applies scl_slope and scl_inter like nibabel", "[io]") {
  ScratchDir dir("nifti");
  gzip_file(dir / "scaled.nii.gz", nifti1_bytes({2, 3, 4}, 4, 16, {1.f, 1.f, 1.f}, 0.5f, -1024.f,
                                                int16_ramp_file_order()));
  const NiftiVolume volume = read_nifti(dir / "scaled.nii.gz");
  CHECK(volume.data[0] == -1024.f);                     // voxel (0,0,0) = 0
  CHECK(volume.data[(1 * 3 + 2) * 4 + 3] == -962.5f);   // voxel (1,2,3) = 123 → 61.5 - 1024
  CHECK(volume.data[(0 * 3 + 1) * 4 + 1] == -1018.5f);  // voxel (0,1,1) = 11
}

TEST_CASE("read_nifti rejects bad files with messages naming the file", "[io]") {
  ScratchDir dir("nifti");
  const std::string good =
      nifti1_bytes({2, 3, 4}, 4, 16, {1.f, 1.f, 1.f}, 0.f, 0.f, int16_ramp_file_order());

  SECTION("missing") {
    REQUIRE_THROWS_AS(read_nifti(dir / "absent.nii.gz"), DataError);
    REQUIRE_THROWS_WITH(read_nifti(dir / "absent.nii.gz"),
                        Catch::Contains("absent.nii.gz") && Catch::Contains("does not exist"));
  }
  SECTION("garbage") {
    write_bytes(dir / "garbage.nii", std::string(400, 'x'));
    REQUIRE_THROWS_WITH(read_nifti(dir / "garbage.nii"),
                        Catch::Contains("garbage.nii") && Catch::Contains("not a NIfTI file") &&
                            Catch::Contains("expected sizeof_hdr 348 or 540"));
  }
  SECTION("too short for a header") {
    write_bytes(dir / "short.nii", "hello");
    REQUIRE_THROWS_WITH(read_nifti(dir / "short.nii"),
                        Catch::Contains("short.nii") && Catch::Contains("found 5"));
  }
  SECTION("bad magic") {
    std::string bytes = good;
    std::memcpy(bytes.data() + 344, "ni1\0", 4);
    write_bytes(dir / "pair.nii", bytes);
    REQUIRE_THROWS_WITH(read_nifti(dir / "pair.nii"),
                        Catch::Contains("pair.nii") && Catch::Contains("expected magic \"n+1\""));
  }
  SECTION("truncated .nii") {
    write_bytes(dir / "cut.nii", good.substr(0, good.size() - 10));
    REQUIRE_THROWS_WITH(read_nifti(dir / "cut.nii"),
                        Catch::Contains("cut.nii") && Catch::Contains("expected 48 bytes"));
  }
  SECTION("truncated .nii.gz") {
    write_nifti(dir / "cut.nii.gz", {8, 8, 8}, {1, 1, 1}, c_order_values({8, 8, 8}),
                NiftiStorage::float32);
    const std::string bytes = read_bytes(dir / "cut.nii.gz");
    write_bytes(dir / "cut.nii.gz", bytes.substr(0, bytes.size() / 2));
    REQUIRE_THROWS_WITH(read_nifti(dir / "cut.nii.gz"),
                        Catch::Contains("cut.nii.gz") && Catch::Contains("expected 2048 bytes"));
  }
  SECTION("ndim 2") {
    write_bytes(dir / "flat.nii",
                nifti1_bytes({6, 4}, 4, 16, {1.f, 1.f, 1.f}, 0.f, 0.f, int16_ramp_file_order()));
    REQUIRE_THROWS_WITH(read_nifti(dir / "flat.nii"),
                        Catch::Contains("flat.nii") && Catch::Contains("found dim[0] = 2"));
  }
  SECTION("zero dim") {
    write_bytes(dir / "zero.nii",
                nifti1_bytes({2, 0, 4}, 4, 16, {1.f, 1.f, 1.f}, 0.f, 0.f, std::string()));
    REQUIRE_THROWS_WITH(
        read_nifti(dir / "zero.nii"),
        Catch::Contains("zero.nii") && Catch::Contains("expected dim[2] > 0, found 0"));
  }
  SECTION("unsupported datatype") {
    write_bytes(dir / "complex.nii",
                nifti1_bytes({1, 1, 1}, 32, 64, {1.f, 1.f, 1.f}, 0.f, 0.f, std::string(8, '\0')));
    REQUIRE_THROWS_WITH(
        read_nifti(dir / "complex.nii"),
        Catch::Contains("complex.nii") && Catch::Contains("unsupported NIfTI datatype code 32"));
  }
}

TEST_CASE("read_nifti refuses a spacing of 0, negative, NaN or Inf naming the file", "[io]") {
  ScratchDir dir("nifti");
  const float bad = GENERATE(0.f, -1.5f, std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity());
  const int axis = GENERATE(0, 2);
  std::array<float, 3> spacing{1.f, 1.f, 1.f};
  spacing[axis] = bad;
  const std::string bytes =
      nifti1_bytes({2, 3, 4}, 4, 16, spacing, 0.f, 0.f, int16_ramp_file_order());
  write_bytes(dir / "spacing.nii", bytes);
  gzip_file(dir / "spacing.nii.gz", bytes);
  for (const char* name : {"spacing.nii", "spacing.nii.gz"}) {
    REQUIRE_THROWS_WITH(read_nifti(dir / name),
                        Catch::Contains(name) && Catch::Contains("bad NIfTI spacing") &&
                            Catch::Contains(fmt::format("pixdim[{}]", axis + 1)));
  }
}

TEST_CASE("read_nifti refuses a vox_offset past the end or inside the header", "[io]") {
  ScratchDir dir("nifti");
  std::string bytes =
      nifti1_bytes({2, 3, 4}, 4, 16, {1.f, 1.f, 1.f}, 0.f, 0.f, int16_ramp_file_order());
  SECTION("past the end") {
    put<float>(bytes, 108, 1e6f);
    write_bytes(dir / "offset.nii", bytes);
    REQUIRE_THROWS_WITH(read_nifti(dir / "offset.nii"), Catch::Contains("offset.nii") &&
                                                            Catch::Contains("vox_offset 1000000") &&
                                                            Catch::Contains("past the end"));
    gzip_file(dir / "offset.nii.gz", bytes);
    REQUIRE_THROWS_WITH(read_nifti(dir / "offset.nii.gz"),
                        Catch::Contains("offset.nii.gz") && Catch::Contains("past the end"));
  }
  SECTION("inside the header, negative or NaN") {
    const float bad = GENERATE(100.f, -352.f, std::numeric_limits<float>::quiet_NaN(), 352.5f);
    put<float>(bytes, 108, bad);
    write_bytes(dir / "offset.nii", bytes);
    REQUIRE_THROWS_WITH(read_nifti(dir / "offset.nii"),
                        Catch::Contains("offset.nii") && Catch::Contains("bad NIfTI vox_offset"));
  }
}

TEST_CASE("read_nifti refuses dims that do not match the data", "[io]") {
  ScratchDir dir("nifti");
  SECTION("more data than the dims") {
    const std::string bytes =
        nifti1_bytes({2, 3, 3}, 4, 16, {1.f, 1.f, 1.f}, 0.f, 0.f, int16_ramp_file_order());
    write_bytes(dir / "long.nii", bytes);
    gzip_file(dir / "long.nii.gz", bytes);
    for (const char* name : {"long.nii", "long.nii.gz"}) {
      REQUIRE_THROWS_WITH(read_nifti(dir / name), Catch::Contains(name) &&
                                                      Catch::Contains("do not match the data") &&
                                                      Catch::Contains("more bytes after them"));
    }
  }
  SECTION("huge dims are refused before anything is allocated") {
    // 32767^3 int64 voxels: 2.8e14 bytes claimed by a 400-byte file.
    const std::string bytes = nifti1_bytes({32767, 32767, 32767}, 1024, 64, {1.f, 1.f, 1.f}, 0.f,
                                           0.f, std::string(48, '\0'));
    write_bytes(dir / "huge.nii", bytes);
    gzip_file(dir / "huge.nii.gz", bytes);
    REQUIRE_THROWS_WITH(read_nifti(dir / "huge.nii"),
                        Catch::Contains("huge.nii") && Catch::Contains("do not match the data") &&
                            Catch::Contains("[32767, 32767, 32767]"));
    REQUIRE_THROWS_WITH(read_nifti(dir / "huge.nii.gz"),
                        Catch::Contains("huge.nii.gz") && Catch::Contains("do not match the data"));
  }
  SECTION("negative dims") {
    write_bytes(dir / "negative.nii",
                nifti1_bytes({2, -3, 4}, 4, 16, {1.f, 1.f, 1.f}, 0.f, 0.f, std::string()));
    REQUIRE_THROWS_WITH(
        read_nifti(dir / "negative.nii"),
        Catch::Contains("negative.nii") && Catch::Contains("expected dim[2] > 0, found -3"));
  }
  SECTION("NIfTI-2 dims whose byte count overflows") {
    std::string bytes(544, '\0');
    put<std::int32_t>(bytes, 0, 540);
    std::memcpy(bytes.data() + 4, "n+2\0\r\n\032\n", 8);
    put<std::int16_t>(bytes, 12, 16);  // float32
    put<std::int16_t>(bytes, 14, 32);
    const std::int64_t dims[4] = {3, std::int64_t{1} << 40, std::int64_t{1} << 40, 4};
    for (int a = 0; a < 4; ++a) put<std::int64_t>(bytes, 16 + 8 * a, dims[a]);
    for (int a = 1; a <= 3; ++a) put<double>(bytes, 104 + 8 * a, 1.0);
    put<std::int64_t>(bytes, 168, 544);
    write_bytes(dir / "overflow.nii", bytes);
    REQUIRE_THROWS_WITH(read_nifti(dir / "overflow.nii"),
                        Catch::Contains("overflow.nii") && Catch::Contains("too large"));
  }
}

TEST_CASE("read_nifti names the file of a corrupt gzip stream", "[io]") {
  ScratchDir dir("nifti");
  write_nifti(dir / "crc.nii.gz", {4, 4, 4}, {1, 1, 1}, c_order_values({4, 4, 4}),
              NiftiStorage::float32);
  std::string bytes = read_bytes(dir / "crc.nii.gz");
  bytes[bytes.size() - 6] ^= 0x5a;  // inside the CRC-32 of the gzip trailer
  write_bytes(dir / "crc.nii.gz", bytes);
  REQUIRE_THROWS_WITH(read_nifti(dir / "crc.nii.gz"),
                      Catch::Contains("crc.nii.gz") && Catch::Contains("corrupt NIfTI file"));
}

TEST_CASE("read_nifti names the file of a gzip stream cut inside its trailer", "[io]") {
  ScratchDir dir("nifti");
  write_nifti(dir / "trailer.nii.gz", {4, 4, 4}, {1, 1, 1}, c_order_values({4, 4, 4}),
              NiftiStorage::float32);
  const std::string bytes = read_bytes(dir / "trailer.nii.gz");
  write_bytes(dir / "trailer.nii.gz", bytes.substr(0, bytes.size() - 4));  // ISIZE cut off
  REQUIRE_THROWS_WITH(read_nifti(dir / "trailer.nii.gz"),
                      Catch::Contains("trailer.nii.gz") && Catch::Contains("corrupt NIfTI file"));
}
