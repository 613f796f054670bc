// The header of a .npy file without its data: what verification and resumed conversions check.
// TODO(io): belongs in io/npy.hpp as read_npy_header (src/io is another helper's today).
// No torch here.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace segbench::prep {

struct NpyHeader {
  std::string descr;               ///< numpy's dtype string: "<f4", "|u1", "<i4", ...
  std::vector<std::size_t> shape;  ///< C order
  bool complete = false;           ///< file size = header + numel * item size
};

/// DataError naming the file when it cannot be opened or is not a .npy file.
NpyHeader read_npy_header(const std::filesystem::path& path);

/// Whether `path` is a complete .npy file of this dtype and shape (missing or unreadable: no).
/// How resumed conversions recognise a file an earlier run finished (they write atomically).
bool npy_file_matches(const std::filesystem::path& path, const std::string& descr,
                      const std::vector<std::size_t>& shape);

}  // namespace segbench::prep
