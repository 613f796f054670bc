// A file descriptor whose every write, fsync and close is checked: a full disk (ENOSPC), an I/O
// error or an injected failure (fault_injection.hpp) becomes a DataError naming the file,
// never a silently short file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace segbench::io {

class CheckedFile {
 public:
  enum class Mode {
    create_new,  // O_EXCL: a temporary sibling that must not exist yet
    append,      // O_APPEND, created when missing (a log)
    existing,    // an existing file, opened for fsync only
  };

  /// Opens `path`. `named` is the file the user knows (the final name of a temporary file): the
  /// one error messages and write_fail injection refer to; empty means `path` itself.
  CheckedFile(const std::filesystem::path& path, Mode mode, std::filesystem::path named = {});
  CheckedFile() = default;
  ~CheckedFile();
  CheckedFile(CheckedFile&& other) noexcept;
  CheckedFile& operator=(CheckedFile&& other) noexcept;
  CheckedFile(const CheckedFile&) = delete;
  CheckedFile& operator=(const CheckedFile&) = delete;

  bool is_open() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }

  /// Writes all of `bytes` or throws DataError (`<named>: cannot write ...: <reason>`).
  void write(std::string_view bytes);
  void write(const void* data, std::size_t size) {
    write(std::string_view(static_cast<const char*>(data), size));
  }
  /// fsync, or DataError.
  void sync() const;
  /// close, or DataError (some file systems report a full disk only here).
  void close();
  /// The file's size now (fstat), or DataError.
  std::uintmax_t size() const;
  /// Cuts the file back to `length` bytes; best effort (used to drop a torn last line).
  void truncate_quietly(std::uintmax_t length) noexcept;

 private:
  [[noreturn]] void fail(std::string_view what, int error, std::string_view note = "") const;

  std::filesystem::path path_;
  std::filesystem::path named_;
  int fd_ = -1;
};

/// fsyncs the directory `dir` (a rename in it is then durable); best effort.
void sync_directory(const std::filesystem::path& dir) noexcept;

}  // namespace segbench::io
