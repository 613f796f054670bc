// Write-then-rename: results and checkpoints are written to a temporary sibling and moved
// into place in one rename, so a crash never leaves a torn file under the final name.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace segbench::io {

/// A fresh name in the same directory: ".<stem>.tmp-<pid>-<n><extension>". The extension is
/// kept for writers that decide the format from it (nifticlib: ".nii.gz").
std::filesystem::path temporary_sibling(const std::filesystem::path& path,
                                        std::string_view extension = "");

/// Renames `temp` over `path`. On failure removes `temp` and throws DataError naming both.
void move_into_place(const std::filesystem::path& temp, const std::filesystem::path& path);

/// Writes `text` to a temporary sibling and renames it over `path`; DataError naming both when
/// either fails (the temporary file is removed).
void write_text_atomically(const std::filesystem::path& path, std::string_view text);

/// Removes the temporary siblings in `dir` whose writing process is gone (its pid no longer
/// exists on this machine): what a killed run leaves. Only for directories that processes of
/// this machine write (a writer on another node would look dead). Returns how many it removed.
std::size_t remove_stale_temporaries(const std::filesystem::path& dir);

}  // namespace segbench::io
