// NumPy .npy reader and writer. Format: magic "\x93NUMPY", major/minor version bytes, a
// little-endian header length (2 bytes in 1.0, 4 bytes in 2.0/3.0), a Python dict literal
// with 'descr', 'fortran_order' and 'shape', padded with spaces and '\n', then the raw data.
#include "segbench/io/npy.hpp"

#include "segbench/io/atomic_file.hpp"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string_view>

#include "segbench/error.hpp"

namespace segbench::io {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic{"\x93NUMPY", 6};
constexpr std::size_t kArrayAlign = 64;
// numpy leaves room to grow the first axis in place (digits of the largest possible count).
constexpr std::size_t kGrowthAxisMaxDigits = 21;

struct ParsedHeader {
  NpyDtype dtype = NpyDtype::float32;
  bool big_endian_data = false;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
};

std::string shape_repr(std::span<const std::size_t> shape) {
  if (shape.empty()) return "()";
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

std::string printable(std::string_view bytes) {
  std::string text;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      text += static_cast<char>(c);
    } else {
      text += fmt::format("\\x{:02x}", c);
    }
  }
  return text;
}

/// Parses the Python dict literal numpy writes; only the subset numpy produces.
class HeaderParser {
 public:
  HeaderParser(const fs::path& path, std::string_view text) : path_(path), text_(text) {}

  ParsedHeader parse() {
    ParsedHeader header;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        parse_descr(parse_string(), header);
        seen_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = parse_bool();
        seen_order = true;
      } else if (key == "shape") {
        header.shape = parse_shape();
        seen_shape = true;
      } else {
        fail(fmt::format("unexpected key '{}' (expected descr, fortran_order, shape)", key));
      }
      skip_space();
      if (peek() == ',') ++pos_;
    }
    while (pos_ < text_.size()) {
      if (text_[pos_] != ' ' && text_[pos_] != '\n' && text_[pos_] != '\0') {
        fail("trailing characters after the dict");
      }
      ++pos_;
    }
    if (!seen_descr || !seen_order || !seen_shape) {
      fail("missing key (expected descr, fortran_order and shape)");
    }
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(fmt::format("{}: bad .npy header: {}; header is \"{}\"", path_.string(), what,
                                printable(text_)));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) {
      fail(fmt::format("expected '{}' at offset {}", c, pos_));
    }
    ++pos_;
  }
  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"')
      fail(fmt::format("expected a quoted string at offset {}", pos_));
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value{text_.substr(pos_ + 1, end - pos_ - 1)};
    pos_ = end + 1;
    return value;
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }
  std::vector<std::size_t> parse_shape() {
    std::vector<std::size_t> shape;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
      if (peek() < '0' || peek() > '9') {
        fail(fmt::format("shape entries must be non-negative integers (offset {})", pos_));
      }
      std::uint64_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto digit = static_cast<std::uint64_t>(peek() - '0');
        if (value > (UINT64_MAX - digit) / 10) fail("shape entry too large");
        value = value * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      shape.push_back(static_cast<std::size_t>(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail(fmt::format("expected ',' or ')' in shape at offset {}", pos_));
      }
    }
  }
  void parse_descr(const std::string& descr, ParsedHeader& header) const {
    static constexpr const char* kSupported =
        "<f4 <f8 |u1 |i1 <u2 <i2 <i4 <i8 |b1 (any byte order)";
    if (descr.size() < 3 || std::string_view("<>|=").find(descr[0]) == std::string_view::npos) {
      fail(fmt::format("unsupported dtype descr '{}' (expected one of {})", descr, kSupported));
    }
    const std::string_view kind_size = std::string_view(descr).substr(1);
    struct Entry {
      std::string_view code;
      NpyDtype dtype;
    };
    static constexpr Entry kTable[] = {
        {"f4", NpyDtype::float32}, {"f8", NpyDtype::float64}, {"u1", NpyDtype::uint8},
        {"i1", NpyDtype::int8},    {"u2", NpyDtype::uint16},  {"i2", NpyDtype::int16},
        {"i4", NpyDtype::int32},   {"i8", NpyDtype::int64},   {"b1", NpyDtype::boolean}};
    const auto* found = std::find_if(std::begin(kTable), std::end(kTable),
                                     [&](const Entry& e) { return e.code == kind_size; });
    if (found == std::end(kTable)) {
      fail(fmt::format("unsupported dtype descr '{}' (expected one of {})", descr, kSupported));
    }
    header.dtype = found->dtype;
    const bool native_big = std::endian::native == std::endian::big;
    header.big_endian_data =
        descr[0] == '>' || ((descr[0] == '=' || descr[0] == '|') && native_big);
  }

  const fs::path& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

void swap_bytes(std::vector<std::byte>& bytes, std::size_t item) {
  if (item < 2) return;
  for (std::size_t offset = 0; offset + item <= bytes.size(); offset += item) {
    std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                 bytes.begin() + static_cast<std::ptrdiff_t>(offset + item));
  }
}

/// Reorders Fortran-order (first axis fastest) bytes into C order (last axis fastest).
std::vector<std::byte> fortran_to_c(const std::vector<std::byte>& src,
                                    const std::vector<std::size_t>& shape, std::size_t item) {
  std::vector<std::byte> dst(src.size());
  const std::size_t ndim = shape.size();
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  if (count == 0) return dst;
  std::vector<std::size_t> fortran_stride(ndim, 1);
  for (std::size_t a = 1; a < ndim; ++a) fortran_stride[a] = fortran_stride[a - 1] * shape[a - 1];
  std::vector<std::size_t> index(ndim, 0);
  std::size_t src_offset = 0;
  for (std::size_t c = 0; c < count; ++c) {
    std::memcpy(dst.data() + c * item, src.data() + src_offset * item, item);
    for (std::size_t a = ndim; a-- > 0;) {  // advance the C-order multi-index, last axis first
      ++index[a];
      src_offset += fortran_stride[a];
      if (index[a] < shape[a]) break;
      src_offset -= fortran_stride[a] * shape[a];
      index[a] = 0;
    }
  }
  return dst;
}

std::string descr_of(NpyDtype dtype) {
  const char order = std::endian::native == std::endian::little ? '<' : '>';
  switch (dtype) {
    case NpyDtype::float32:
      return fmt::format("{}f4", order);
    case NpyDtype::float64:
      return fmt::format("{}f8", order);
    case NpyDtype::uint8:
      return "|u1";
    case NpyDtype::int8:
      return "|i1";
    case NpyDtype::uint16:
      return fmt::format("{}u2", order);
    case NpyDtype::int16:
      return fmt::format("{}i2", order);
    case NpyDtype::int32:
      return fmt::format("{}i4", order);
    case NpyDtype::int64:
      return fmt::format("{}i8", order);
    case NpyDtype::boolean:
      return "|b1";
  }
  return "?";
}

}  // namespace

std::string to_string(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::float32:
      return "float32";
    case NpyDtype::float64:
      return "float64";
    case NpyDtype::uint8:
      return "uint8";
    case NpyDtype::int8:
      return "int8";
    case NpyDtype::uint16:
      return "uint16";
    case NpyDtype::int16:
      return "int16";
    case NpyDtype::int32:
      return "int32";
    case NpyDtype::int64:
      return "int64";
    case NpyDtype::boolean:
      return "bool";
  }
  return "unknown";
}

std::size_t item_size(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::float32:
      return 4;
    case NpyDtype::float64:
      return 8;
    case NpyDtype::uint8:
      return 1;
    case NpyDtype::int8:
      return 1;
    case NpyDtype::uint16:
      return 2;
    case NpyDtype::int16:
      return 2;
    case NpyDtype::int32:
      return 4;
    case NpyDtype::int64:
      return 8;
    case NpyDtype::boolean:
      return 1;
  }
  return 0;
}

std::size_t NpyArray::numel() const {
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  return count;
}

NpyArray read_npy(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  SEGBENCH_CHECK(in.is_open(), DataError, "{}: cannot open .npy file", path.string());
  std::error_code ec;
  const auto file_size = static_cast<std::size_t>(fs::file_size(path, ec));
  SEGBENCH_CHECK(!ec, DataError, "{}: cannot stat .npy file: {}", path.string(), ec.message());

  SEGBENCH_CHECK(file_size >= 10, DataError,
                 "{}: not a .npy file: expected at least 10 bytes (magic, version, header "
                 "length), found {}",
                 path.string(), file_size);
  char prefix[12] = {};
  in.read(prefix, 10);
  const std::string_view magic(prefix, 6);
  SEGBENCH_CHECK(magic == kMagic, DataError,
                 "{}: not a .npy file: expected magic \\x93NUMPY, found \"{}\"", path.string(),
                 printable(magic));
  const int major = static_cast<unsigned char>(prefix[6]);
  const int minor = static_cast<unsigned char>(prefix[7]);
  SEGBENCH_CHECK(major >= 1 && major <= 3 && minor == 0, DataError,
                 "{}: unsupported .npy format version {}.{} (expected 1.0, 2.0 or 3.0)",
                 path.string(), major, minor);

  std::size_t header_len = 0;
  std::size_t prefix_len = 10;
  if (major == 1) {
    header_len = static_cast<unsigned char>(prefix[8]) |
                 (static_cast<std::size_t>(static_cast<unsigned char>(prefix[9])) << 8);
  } else {
    SEGBENCH_CHECK(file_size >= 12, DataError,
                   "{}: truncated .npy header: expected at least 12 bytes, found {}", path.string(),
                   file_size);
    in.read(prefix + 10, 2);
    prefix_len = 12;
    for (int i = 3; i >= 0; --i) {
      header_len = (header_len << 8) | static_cast<unsigned char>(prefix[8 + i]);
    }
  }
  SEGBENCH_CHECK(prefix_len + header_len <= file_size, DataError,
                 "{}: truncated .npy header: header length says {} bytes, found {}", path.string(),
                 header_len, file_size - prefix_len);
  std::string header_text(header_len, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_len));
  SEGBENCH_CHECK(in.good(), DataError, "{}: read error in .npy header", path.string());

  const ParsedHeader header = HeaderParser(path, header_text).parse();
  const std::size_t item = item_size(header.dtype);
  std::size_t expected = item;
  for (auto d : header.shape) {
    SEGBENCH_CHECK(!__builtin_mul_overflow(expected, d, &expected), DataError,
                   "{}: bad .npy header: shape {} is too large", path.string(),
                   shape_repr(header.shape));
  }
  const std::size_t found = file_size - prefix_len - header_len;
  SEGBENCH_CHECK(found >= expected, DataError,
                 "{}: truncated .npy data: expected {} bytes for shape {} of {}, found {}",
                 path.string(), expected, shape_repr(header.shape), to_string(header.dtype), found);
  SEGBENCH_CHECK(found == expected, DataError,
                 "{}: trailing bytes after .npy data: expected {} bytes for shape {} of {}, "
                 "found {}",
                 path.string(), expected, shape_repr(header.shape), to_string(header.dtype), found);

  NpyArray array;
  array.dtype = header.dtype;
  array.shape = header.shape;
  array.bytes.resize(expected);
  in.read(reinterpret_cast<char*>(array.bytes.data()), static_cast<std::streamsize>(expected));
  SEGBENCH_CHECK(static_cast<std::size_t>(in.gcount()) == expected, DataError,
                 "{}: read error in .npy data: expected {} bytes, got {}", path.string(), expected,
                 in.gcount());

  const bool native_big = std::endian::native == std::endian::big;
  if (header.big_endian_data != native_big) swap_bytes(array.bytes, item);
  if (header.fortran_order && array.shape.size() > 1) {
    array.bytes = fortran_to_c(array.bytes, array.shape, item);
  }
  return array;
}

void write_npy(const fs::path& path, NpyDtype dtype, std::span<const std::size_t> shape,
               const void* data) {
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   descr_of(dtype), shape_repr(shape));
  if (!shape.empty()) {
    const std::size_t digits = std::to_string(shape[0]).size();
    header.append(kGrowthAxisMaxDigits - std::min(digits, kGrowthAxisMaxDigits), ' ');
  }
  // Spaces then '\n' so that magic + version + length field + header is a multiple of 64.
  std::size_t prefix_len = 10;
  std::size_t padded = header.size() + 1;
  padded += kArrayAlign - ((prefix_len + padded) % kArrayAlign);
  int major = 1;
  if (padded > 0xffff) {
    major = 2;
    prefix_len = 12;
    padded = header.size() + 1;
    padded += kArrayAlign - ((prefix_len + padded) % kArrayAlign);
  }
  header.append(padded - header.size() - 1, ' ');
  header += '\n';

  std::string prefix(kMagic);
  prefix += static_cast<char>(major);
  prefix += '\0';
  for (std::size_t i = 0; i < prefix_len - 8; ++i) {
    prefix += static_cast<char>((padded >> (8 * i)) & 0xff);
  }

  std::size_t data_bytes = item_size(dtype);
  for (auto d : shape) data_bytes *= d;

  AtomicFile out(path);
  out.write(prefix);
  out.write(header);
  out.write(data, data_bytes);
  out.commit(AtomicFile::Sync::no);
}

}  // namespace segbench::io
