#include "segbench/prep/preprocess_settings.hpp"

#include <fstream>
#include <iterator>

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

}  // namespace segbench::prep
