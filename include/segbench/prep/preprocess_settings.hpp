// What a preprocessor wrote its files with (segbench_preprocess_settings.json beside them), so
// that a rerun into the same directory keeps the finished files only when nothing that decides
// their bytes changed. No torch here.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

namespace segbench::prep {

/// Whether `results_dir` holds a settings file whose text is exactly `settings`.
bool preprocess_settings_match(const std::filesystem::path& results_dir,
                               const std::string& settings);

/// Writes `settings` as the settings file of `results_dir` (atomically).
void write_preprocess_settings(const std::filesystem::path& results_dir,
                               const std::string& settings);

/// The start of a resumable preprocessing run into `results_dir` (created): removes the
/// temporary files of killed writers (saying so on `progress`) and `completion_mark` (the file
/// that vouches for a whole set: written again only at the end), then compares the settings.
/// Returns whether the finished files of an earlier run may be kept; when not, writes the new
/// settings.
bool begin_resumable_run(const std::filesystem::path& results_dir,
                         const std::filesystem::path& completion_mark, const std::string& settings,
                         std::ostream& progress);

}  // namespace segbench::prep
