// Small CLI11 helpers shared by the drivers' command lines. No torch here.
#pragma once

#include <CLI/CLI.hpp>

#include <array>
#include <string>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::cli {

/// The value of --preset (or --preset=...) before the other flags are bound, because they
/// default to the preset's values. `fallback` when absent.
std::string find_preset(int argc, const char* const* argv, const std::string& fallback);

/// A fixed-size list option ("--input_shape 128 128 128"); ConfigError on a wrong count.
template <class T, std::size_t N>
CLI::Option* add_array_option(CLI::App& app, const std::string& name, std::array<T, N>& target,
                              const std::string& help) {
  return app
      .add_option_function<std::vector<T>>(
          name,
          [&target, name](const std::vector<T>& values) {
            SEGBENCH_CHECK(values.size() == N, ConfigError, "{} takes {} values, got {}", name, N,
                           values.size());
            std::copy(values.begin(), values.end(), target.begin());
          },
          help)
      ->expected(static_cast<int>(N));
}

/// Parses, turning --help into exit(0) with usage and parse errors into ConfigError.
void parse_or_throw(CLI::App& app, int argc, const char* const* argv);

}  // namespace segbench::cli
