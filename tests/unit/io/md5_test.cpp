#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/md5.hpp"
#include "support/scratch_dir.hpp"

using segbench::io::Md5;
using segbench::io::md5_file_hex;
using segbench::io::md5_hex;

TEST_CASE("md5 matches the RFC 1321 test suite", "[io]") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("a") == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(md5_hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(md5_hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
        "d174ab98d277d9f5a5611c2c9f419d9f");
  CHECK(md5_hex("1234567890123456789012345678901234567890123456789012345678901234567890123456"
                "7890") == "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("md5 gives the same digest however the input is split", "[io]") {
  const std::string million(1000000, 'a');
  CHECK(md5_hex(million) == "7707d6ae4e027c70eea2a935c2296f21");
  Md5 md5;
  std::size_t offset = 0;
  for (std::size_t chunk : {1u, 55u, 56u, 63u, 64u, 65u, 127u, 1000u}) {
    md5.update(std::string_view(million).substr(offset, chunk));
    offset += chunk;
  }
  md5.update(std::string_view(million).substr(offset));
  CHECK(md5.hex_digest() == "7707d6ae4e027c70eea2a935c2296f21");
}

TEST_CASE("md5 of a file is streamed and names a missing file", "[io]") {
  segbench::test::ScratchDir dir("md5");
  std::string bytes(2100000, '\0');  // longer than one 1 MiB read chunk
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i % 251);
  segbench::test::write_bytes(dir / "pattern.bin", bytes);
  CHECK(md5_file_hex(dir / "pattern.bin") == "d182349c08e3b45d6358e317b6e28647");
  REQUIRE_THROWS_AS(md5_file_hex(dir / "absent.bin"), segbench::DataError);
  REQUIRE_THROWS_WITH(md5_file_hex(dir / "absent.bin"), Catch::Contains("absent.bin"));
}
