// Write-then-rename: results and checkpoints are written to a temporary sibling and moved
// into place in one rename, so a crash or a full disk never leaves a torn file under the final
// name, and an earlier file of that name stays intact until the new one is complete.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "segbench/io/checked_file.hpp"

namespace segbench::io {

/// A fresh name in the same directory: ".<stem>.tmp-<pid>-<n><extension>". The extension is
/// kept for writers that decide the format from it (nifticlib: ".nii.gz").
std::filesystem::path temporary_sibling(const std::filesystem::path& path,
                                        std::string_view extension = "");

/// Renames `temp` over `path`. On failure removes `temp` and throws DataError naming both.
void move_into_place(const std::filesystem::path& temp, const std::filesystem::path& path);

/// A new file for `path`, written to a temporary sibling through a CheckedFile; commit()
/// fsyncs it and renames it into place. A failed write or commit throws DataError naming
/// `path` and removes the temporary file; so does destruction without commit().
class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& path, std::string_view extension = "");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return temp_; }

  void write(std::string_view bytes);
  void write(const void* data, std::size_t size) {
    write(std::string_view(static_cast<const char*>(data), size));
  }
  /// Whether commit() waits for the bytes to reach the disk.
  enum class Sync {
    yes,  // fsync the file and the directory (checkpoints, logs' cuts, manifests, stats)
    no,   // bulk outputs (.npy, copies): still checked at write and close, not fsynced (an
          // fsync cost 4-9 ms per 64 KiB file on this project's machine, 121k CAM5 samples
          // would wait for it), and a tool rerun finds a torn file
  };
  /// (fsync,) close, rename over path() (, fsync of the directory).
  void commit(Sync sync = Sync::yes);

 private:
  [[noreturn]] void abandon(const std::exception& cause);

  std::filesystem::path path_;
  std::filesystem::path temp_;
  CheckedFile file_;
  bool committed_ = false;
};

/// Writes `text` to a temporary sibling and renames it over `path`; DataError naming `path`
/// when either fails (the temporary file is removed).
void write_text_atomically(const std::filesystem::path& path, std::string_view text);

/// Removes the temporary siblings in `dir` whose writing process is gone (its pid no longer
/// exists on this machine): what a killed run leaves. Only for directories that processes of
/// this machine write (a writer on another node would look dead). Returns how many it removed.
std::size_t remove_stale_temporaries(const std::filesystem::path& dir);

/// Copies `source` to a temporary sibling of `destination` and renames it into place; DataError
/// naming the file that failed (the temporary file is removed).
void copy_file_atomically(const std::filesystem::path& source,
                          const std::filesystem::path& destination);

}  // namespace segbench::io
