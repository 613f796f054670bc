// MD5 written from RFC 1321: 64-byte blocks, four rounds of 16 operations on a 4-word state,
// message padded with 0x80, zeros and the 64-bit little-endian bit length.
#include "segbench/io/md5.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::io {
namespace {

// Per-operation left-rotation amounts, four per round.
constexpr std::uint32_t kShift[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// T[i] = floor(2^32 * |sin(i + 1)|), computed once rather than tabulated.
const std::array<std::uint32_t, 64>& sine_table() {
  static const std::array<std::uint32_t, 64> table = [] {
    std::array<std::uint32_t, 64> t{};
    for (int i = 0; i < 64; ++i) {
      t[i] = static_cast<std::uint32_t>(std::floor(std::fabs(std::sin(i + 1.0)) * 4294967296.0));
    }
    return t;
  }();
  return table;
}

std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

}  // namespace

Md5::Md5() : state_{0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u} {}

void Md5::process_block(const std::uint8_t* block) {
  const auto& t = sine_table();
  std::uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = load_le32(block + 4 * i);
  std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  for (int i = 0; i < 64; ++i) {
    const int round = i / 16;
    std::uint32_t f;
    int k;
    switch (round) {
      case 0:
        f = (b & c) | (~b & d);
        k = i;
        break;
      case 1:
        f = (b & d) | (c & ~d);
        k = (5 * i + 1) % 16;
        break;
      case 2:
        f = b ^ c ^ d;
        k = (3 * i + 5) % 16;
        break;
      default:
        f = c ^ (b | ~d);
        k = (7 * i) % 16;
        break;
    }
    const std::uint32_t rotated =
        std::rotl(a + f + x[k] + t[i], static_cast<int>(kShift[round][i % 4]));
    a = d;
    d = c;
    c = b;
    b = b + rotated;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
}

void Md5::update(std::span<const std::byte> bytes) {
  SEGBENCH_CHECK(!finished_, Error, "Md5::update called after hex_digest");
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  std::size_t size = bytes.size();
  total_bytes_ += size;
  if (buffered_ > 0) {
    const std::size_t take = std::min(size, 64 - buffered_);
    std::memcpy(buffer_.data() + buffered_, data, take);
    buffered_ += take;
    data += take;
    size -= take;
    if (buffered_ < 64) return;
    process_block(buffer_.data());
    buffered_ = 0;
  }
  for (; size >= 64; data += 64, size -= 64) process_block(data);
  std::memcpy(buffer_.data(), data, size);
  buffered_ = size;
}

void Md5::update(std::string_view text) {
  update(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

std::string Md5::hex_digest() {
  SEGBENCH_CHECK(!finished_, Error, "Md5::hex_digest called twice");
  const std::uint64_t bit_length = total_bytes_ * 8;
  std::uint8_t tail[72] = {0x80};
  const std::size_t pad = (buffered_ < 56 ? 56 : 120) - buffered_;
  for (int i = 0; i < 8; ++i) tail[pad + i] = static_cast<std::uint8_t>(bit_length >> (8 * i));
  update(std::as_bytes(std::span<const std::uint8_t>(tail, pad + 8)));
  finished_ = true;
  std::string hex;
  hex.reserve(32);
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::uint32_t word : state_) {
    for (int i = 0; i < 4; ++i) {
      const auto byte = static_cast<std::uint8_t>(word >> (8 * i));
      hex += kDigits[byte >> 4];
      hex += kDigits[byte & 0xf];
    }
  }
  return hex;
}

std::string md5_hex(std::span<const std::byte> bytes) {
  Md5 md5;
  md5.update(bytes);
  return md5.hex_digest();
}

std::string md5_hex(std::string_view text) {
  Md5 md5;
  md5.update(text);
  return md5.hex_digest();
}

std::string md5_file_hex(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  SEGBENCH_CHECK(in.is_open(), DataError, "{}: cannot open file for MD5", path.string());
  Md5 md5;
  std::vector<char> chunk(1 << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got > 0) md5.update(std::as_bytes(std::span<const char>(chunk.data(), got)));
  }
  SEGBENCH_CHECK(in.eof(), DataError, "{}: read error while computing MD5", path.string());
  return md5.hex_digest();
}

}  // namespace segbench::io
