// Shared by the libFuzzer targets: the readers take a path, so each input is written to one
// scratch file per process (the name's extension picks the reader's format), and an error
// thrown on purpose must name that file. Anything else (another exception, a crash, a leak,
// an allocation past libFuzzer's -malloc_limit_mb) is a finding.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "segbench/error.hpp"

namespace segbench::fuzz {

/// `name` inside a directory of this process under $TMPDIR, made on first use and removed at
/// exit.
inline std::filesystem::path scratch_file(const std::string& name) {
  static const std::filesystem::path dir = [] {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "segbench-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    static const std::string made = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(made, ignored);
    });
    return std::filesystem::path(pattern);
  }();
  return dir / name;
}

inline void write_input(const std::filesystem::path& path, const std::uint8_t* data,
                        std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out.good()) {
    std::perror(path.c_str());
    std::abort();
  }
}

/// A deliberate error must say which file it is about.
inline void expect_names_file(const segbench::Error& error, const std::filesystem::path& path) {
  if (std::string_view(error.what()).find(path.string()) == std::string_view::npos) {
    std::fprintf(stderr, "error does not name the file %s: %s\n", path.c_str(), error.what());
    std::abort();
  }
}

}  // namespace segbench::fuzz
