// MD5 message digest (RFC 1321), used for dataset checksum manifests. No torch here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace segbench::io {

/// Incremental MD5: update() any number of times, then hex_digest() once.
class Md5 {
 public:
  Md5();
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text);
  /// Lower-case 32-character hex digest; finishes the hash (further updates are an error).
  std::string hex_digest();

 private:
  void process_block(const std::uint8_t* block);

  std::array<std::uint32_t, 4> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

std::string md5_hex(std::span<const std::byte> bytes);
std::string md5_hex(std::string_view text);
/// Streams the file in chunks; throws DataError naming the file if it cannot be read.
std::string md5_file_hex(const std::filesystem::path& path);

}  // namespace segbench::io
