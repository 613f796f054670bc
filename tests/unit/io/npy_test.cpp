#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/npy.hpp"
#include "support/scratch_dir.hpp"

using segbench::DataError;
using segbench::io::NpyArray;
using segbench::io::NpyDtype;
using segbench::io::read_npy;
using segbench::io::write_npy;
using segbench::test::read_bytes;
using segbench::test::ScratchDir;
using segbench::test::write_bytes;

namespace {

/// A .npy file built by hand: magic, version, little-endian header length, header, data.
std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict + "\n";
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  }
  return out + header + data;
}

template <class T>
std::string raw(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <class T>
std::vector<T> values_of(const NpyArray& array) {
  return std::vector<T>(array.data<T>(), array.data<T>() + array.numel());
}

}  // namespace

TEST_CASE("npy round trips several dtypes and shapes", "[io]") {
  ScratchDir dir("npy");
  SECTION("float32 (1, 2, 3)") {
    const std::vector<float> values{0.5f, -1.25f, 3e8f, -0.0f, 7.f, 1e-30f};
    const std::vector<std::size_t> shape{1, 2, 3};
    write_npy(dir / "a.npy", NpyDtype::float32, shape, values.data());
    const NpyArray array = read_npy(dir / "a.npy");
    CHECK(array.dtype == NpyDtype::float32);
    CHECK(array.shape == shape);
    CHECK(values_of<float>(array) == values);
  }
  SECTION("uint8 (5,)") {
    const std::vector<std::uint8_t> values{0, 1, 2, 254, 255};
    const std::vector<std::size_t> shape{5};
    write_npy(dir / "b.npy", NpyDtype::uint8, shape, values.data());
    const NpyArray array = read_npy(dir / "b.npy");
    CHECK(array.dtype == NpyDtype::uint8);
    CHECK(array.shape == shape);
    CHECK(values_of<std::uint8_t>(array) == values);
  }
  SECTION("float64 scalar ()") {
    const double value = -2.5;
    write_npy(dir / "c.npy", NpyDtype::float64, {}, &value);
    const NpyArray array = read_npy(dir / "c.npy");
    CHECK(array.shape.empty());
    CHECK(array.numel() == 1);
    CHECK(array.data<double>()[0] == -2.5);
  }
  SECTION("int16 and int64 (2, 2)") {
    const std::vector<std::int16_t> small{-32768, 32767, -1, 0};
    const std::vector<std::int64_t> big{INT64_MIN, INT64_MAX, 1, -1};
    const std::vector<std::size_t> shape{2, 2};
    write_npy(dir / "d.npy", NpyDtype::int16, shape, small.data());
    write_npy(dir / "e.npy", NpyDtype::int64, shape, big.data());
    CHECK(values_of<std::int16_t>(read_npy(dir / "d.npy")) == small);
    CHECK(values_of<std::int64_t>(read_npy(dir / "e.npy")) == big);
  }
  SECTION("empty (0, 4)") {
    const std::vector<std::size_t> shape{0, 4};
    write_npy(dir / "f.npy", NpyDtype::int32, shape, nullptr);
    const NpyArray array = read_npy(dir / "f.npy");
    CHECK(array.shape == shape);
    CHECK(array.bytes.empty());
  }
}

TEST_CASE("write_npy pads the version 1.0 header to 64 bytes like numpy", "[io]") {
  ScratchDir dir("npy");
  const std::vector<float> values(6, 1.0f);
  const std::vector<std::size_t> shape{1, 2, 3};
  write_npy(dir / "a.npy", NpyDtype::float32, shape, values.data());
  const std::string bytes = read_bytes(dir / "a.npy");
  REQUIRE(bytes.size() == 128 + 24);  // 62-char dict + 20 growth spaces + '\n' → 128 bytes
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(static_cast<unsigned char>(bytes[8]) + 256 * static_cast<unsigned char>(bytes[9]) == 118);
  CHECK(bytes.substr(10, 62) == "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }");
  CHECK(bytes.substr(72, 55) == std::string(55, ' '));
  CHECK(bytes[127] == '\n');
  // No temporary file is left behind.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("read_npy converts big-endian data to native", "[io]") {
  ScratchDir dir("npy");
  write_bytes(dir / "be_i2.npy",
              npy_bytes("{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }",
                        std::string("\x00\x01\x01\x00\xff\xfe", 6)));
  const NpyArray shorts = read_npy(dir / "be_i2.npy");
  CHECK(shorts.dtype == NpyDtype::int16);
  CHECK(values_of<std::int16_t>(shorts) == std::vector<std::int16_t>{1, 256, -2});

  // 1.5 and -2.0 as IEEE doubles, most significant byte first.
  write_bytes(dir / "be_f8.npy",
              npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }",
                        std::string("\x3f\xf8\0\0\0\0\0\0\xc0\x00\0\0\0\0\0\0", 16)));
  CHECK(values_of<double>(read_npy(dir / "be_f8.npy")) == std::vector<double>{1.5, -2.0});
}

TEST_CASE("read_npy reorders Fortran-order arrays into C order", "[io]") {
  ScratchDir dir("npy");
  // a[i][j] = 10 i + j for shape (2, 3), stored first axis fastest.
  write_bytes(dir / "f2.npy",
              npy_bytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
                        raw<std::int32_t>({0, 10, 1, 11, 2, 12})));
  const NpyArray matrix = read_npy(dir / "f2.npy");
  CHECK(matrix.shape == std::vector<std::size_t>{2, 3});
  CHECK(values_of<std::int32_t>(matrix) == std::vector<std::int32_t>{0, 1, 2, 10, 11, 12});

  // a[i][j][k] = 100 i + 10 j + k for shape (2, 3, 4), big-endian and Fortran order at once.
  std::string data;
  for (int k = 0; k < 4; ++k) {
    for (int j = 0; j < 3; ++j) {
      for (int i = 0; i < 2; ++i) {
        const int v = 100 * i + 10 * j + k;
        data += static_cast<char>(v >> 8);
        data += static_cast<char>(v & 0xff);
      }
    }
  }
  write_bytes(dir / "f3.npy",
              npy_bytes("{'shape': (2, 3, 4), 'fortran_order': True, 'descr': '>u2'}", data, 2));
  const NpyArray cube = read_npy(dir / "f3.npy");
  std::vector<std::uint16_t> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        expected.push_back(static_cast<std::uint16_t>(100 * i + 10 * j + k));
  CHECK(values_of<std::uint16_t>(cube) == expected);
}

TEST_CASE("read_npy accepts format versions 2.0 and 3.0", "[io]") {
  ScratchDir dir("npy");
  const std::string dict = "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }";
  write_bytes(dir / "v2.npy", npy_bytes(dict, std::string("\x01\x00", 2), 2));
  write_bytes(dir / "v3.npy", npy_bytes(dict, std::string("\x00\x01", 2), 3));
  CHECK(read_npy(dir / "v2.npy").dtype == NpyDtype::boolean);
  CHECK(values_of<std::uint8_t>(read_npy(dir / "v3.npy")) == std::vector<std::uint8_t>{0, 1});
}

TEST_CASE("read_npy rejects corrupt files with messages naming the file", "[io]") {
  ScratchDir dir("npy");
  const std::vector<float> values(6, 2.0f);
  const std::vector<std::size_t> shape{2, 3};

  SECTION("truncated data") {
    write_npy(dir / "cut.npy", NpyDtype::float32, shape, values.data());
    std::string bytes = read_bytes(dir / "cut.npy");
    write_bytes(dir / "cut.npy", bytes.substr(0, bytes.size() - 5));
    REQUIRE_THROWS_AS(read_npy(dir / "cut.npy"), DataError);
    REQUIRE_THROWS_WITH(
        read_npy(dir / "cut.npy"),
        Catch::Contains("cut.npy") &&
            Catch::Contains("expected 24 bytes for shape (2, 3) of float32, found 19"));
  }
  SECTION("trailing bytes") {
    write_bytes(dir / "long.npy",
                npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "abc"));
    REQUIRE_THROWS_WITH(read_npy(dir / "long.npy"), Catch::Contains("long.npy") &&
                                                        Catch::Contains("expected 2 bytes") &&
                                                        Catch::Contains("found 3"));
  }
  SECTION("wrong magic") {
    write_bytes(dir / "magic.npy", "PK\x03\x04 this is a zip, not an npy file");
    REQUIRE_THROWS_WITH(read_npy(dir / "magic.npy"), Catch::Contains("magic.npy") &&
                                                         Catch::Contains("not a .npy file") &&
                                                         Catch::Contains("PK\\x03\\x04"));
  }
  SECTION("file shorter than the magic") {
    write_bytes(dir / "tiny.npy", "\x93NU");
    REQUIRE_THROWS_WITH(read_npy(dir / "tiny.npy"),
                        Catch::Contains("tiny.npy") && Catch::Contains("found 3"));
  }
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(read_npy(dir / "absent.npy"),
                        Catch::Contains("absent.npy") && Catch::Contains("cannot open"));
  }
  SECTION("unsupported version") {
    write_bytes(dir / "v4.npy",
                npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", "a", 4));
    REQUIRE_THROWS_WITH(read_npy(dir / "v4.npy"), Catch::Contains("v4.npy") &&
                                                      Catch::Contains("version 4.0") &&
                                                      Catch::Contains("expected 1.0, 2.0 or 3.0"));
  }
  SECTION("negative dimension") {
    write_bytes(dir / "dims.npy",
                npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", ""));
    REQUIRE_THROWS_WITH(read_npy(dir / "dims.npy"), Catch::Contains("dims.npy") &&
                                                        Catch::Contains("bad .npy header") &&
                                                        Catch::Contains("non-negative integers"));
  }
  SECTION("unsupported dtype") {
    write_bytes(dir / "complex.npy",
                npy_bytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                          std::string(8, '\0')));
    REQUIRE_THROWS_WITH(
        read_npy(dir / "complex.npy"),
        Catch::Contains("complex.npy") && Catch::Contains("unsupported dtype descr '<c8'"));
  }
  SECTION("missing key") {
    write_bytes(dir / "nokey.npy", npy_bytes("{'descr': '<f4', 'shape': (1,), }", "abcd"));
    REQUIRE_THROWS_WITH(read_npy(dir / "nokey.npy"),
                        Catch::Contains("nokey.npy") && Catch::Contains("missing key"));
  }
  SECTION("header length beyond the file") {
    std::string bytes = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "");
    write_bytes(dir / "header.npy", bytes.substr(0, 30));
    REQUIRE_THROWS_WITH(read_npy(dir / "header.npy"),
                        Catch::Contains("header.npy") && Catch::Contains("truncated .npy header"));
  }
}
