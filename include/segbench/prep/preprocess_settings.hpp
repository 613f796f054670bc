// What a preprocessor wrote its files with (segbench_preprocess_settings.json beside them), so
// that a rerun into the same directory keeps the finished files only when nothing that decides
// their bytes changed. No torch here.
#pragma once

#include <filesystem>
#include <string>

namespace segbench::prep {

/// Whether `results_dir` holds a settings file whose text is exactly `settings`.
bool preprocess_settings_match(const std::filesystem::path& results_dir,
                               const std::string& settings);

/// Writes `settings` as the settings file of `results_dir` (atomically).
void write_preprocess_settings(const std::filesystem::path& results_dir,
                               const std::string& settings);

}  // namespace segbench::prep
