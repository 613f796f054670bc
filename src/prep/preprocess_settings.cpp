#include "segbench/prep/preprocess_settings.hpp"

#include <fmt/ostream.h>

#include <fstream>
#include <iterator>
#include <ostream>

#include "segbench/io/atomic_file.hpp"
#include "segbench/prep/checksum_manifest.hpp"

namespace segbench::prep {

bool preprocess_settings_match(const std::filesystem::path& results_dir,
                               const std::string& settings) {
  std::ifstream in(results_dir / kPreprocessSettingsName, std::ios::binary);
  if (!in) return false;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text == settings;
}

void write_preprocess_settings(const std::filesystem::path& results_dir,
                               const std::string& settings) {
  io::write_text_atomically(results_dir / kPreprocessSettingsName, settings);
}

bool begin_resumable_run(const std::filesystem::path& results_dir,
                         const std::filesystem::path& completion_mark, const std::string& settings,
                         std::ostream& progress) {
  std::filesystem::create_directories(results_dir);
  if (const std::size_t stale = io::remove_stale_temporaries(results_dir); stale > 0)
    fmt::print(progress, "removed {} temporary file(s) of an interrupted run\n", stale);
  std::filesystem::remove(completion_mark);
  if (preprocess_settings_match(results_dir, settings)) return true;
  write_preprocess_settings(results_dir, settings);
  return false;
}

}  // namespace segbench::prep
