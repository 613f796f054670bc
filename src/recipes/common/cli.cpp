#include "segbench/recipes/common/cli.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace segbench::cli {

std::string find_preset(int argc, const char* const* argv, const std::string& fallback) {
  std::string preset = fallback;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--preset" && i + 1 < argc) preset = argv[i + 1];
    if (arg.starts_with("--preset=")) preset = std::string(arg.substr(9));
  }
  return preset;
}

bool parse_switch(const std::string& flag, const std::string& value) {
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  throw ConfigError(fmt::format("{} takes true or false, got '{}'", flag, value));
}

void parse_or_throw(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    throw EarlyExit{app.exit(e)};
  } catch (const CLI::ParseError& e) {
    throw ConfigError(fmt::format("command line: {}", e.what()));
  }
}

}  // namespace segbench::cli
