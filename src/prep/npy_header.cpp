#include "segbench/prep/npy_header.hpp"

#include <cstring>
#include <fstream>
#include <system_error>

#include "segbench/error.hpp"

namespace segbench::prep {

namespace fs = std::filesystem;

NpyHeader read_npy_header(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  SEGBENCH_CHECK(in.is_open(), DataError, "{}: cannot open", path.string());
  char prefix[12] = {};
  in.read(prefix, 12);
  SEGBENCH_CHECK(in.gcount() >= 10 && std::memcmp(prefix, "\x93NUMPY", 6) == 0, DataError,
                 "{}: not a .npy file (no \\x93NUMPY magic)", path.string());
  const bool v1 = prefix[6] == 1;
  const std::size_t prefix_len = v1 ? 10 : 12;
  std::size_t header_len = static_cast<unsigned char>(prefix[8]) |
                           static_cast<std::size_t>(static_cast<unsigned char>(prefix[9])) << 8;
  if (!v1) {
    header_len |= static_cast<std::size_t>(static_cast<unsigned char>(prefix[10])) << 16 |
                  static_cast<std::size_t>(static_cast<unsigned char>(prefix[11])) << 24;
  }
  std::string text(header_len, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(prefix_len));
  in.read(text.data(), static_cast<std::streamsize>(header_len));
  SEGBENCH_CHECK(in.good(), DataError, "{}: truncated .npy header", path.string());
  NpyHeader h;
  const auto descr_at = text.find("'descr':");
  const auto shape_at = text.find("'shape':");
  SEGBENCH_CHECK(descr_at != std::string::npos && shape_at != std::string::npos, DataError,
                 "{}: .npy header without descr or shape: {}", path.string(), text);
  const auto q1 = text.find('\'', descr_at + 8);
  const auto q2 = text.find('\'', q1 + 1);
  h.descr = text.substr(q1 + 1, q2 - q1 - 1);
  const auto open = text.find('(', shape_at);
  const auto close = text.find(')', open);
  std::size_t pos = open + 1;
  while (pos < close) {
    while (pos < close && (text[pos] == ' ' || text[pos] == ',')) ++pos;
    if (pos >= close) break;
    std::size_t used = 0;
    h.shape.push_back(std::stoull(text.substr(pos, close - pos), &used));
    pos += used;
  }
  const std::size_t item = h.descr.size() >= 3 ? static_cast<std::size_t>(h.descr[2] - '0') : 0;
  std::size_t numel = 1;
  for (std::size_t d : h.shape) numel *= d;
  std::error_code ec;
  h.complete = fs::file_size(path, ec) == prefix_len + header_len + numel * item;
  return h;
}

bool npy_file_matches(const fs::path& path, const std::string& descr,
                      const std::vector<std::size_t>& shape) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    const NpyHeader h = read_npy_header(path);
    return h.complete && h.descr == descr && h.shape == shape;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace segbench::prep
