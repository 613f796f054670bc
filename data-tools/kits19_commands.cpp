// segbench-data subcommands for KiTS19: kits19-synth, kits19-preprocess, kits19-verify.
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "data_command.hpp"
#include "segbench/prep/checksum_manifest.hpp"
#include "segbench/prep/kits19_preprocess.hpp"
#include "segbench/prep/kits19_synthetic.hpp"

namespace segbench::tools {
namespace {

namespace fs = std::filesystem;
using namespace segbench::prep;

DataCommand add_synth(CLI::App& app) {
  struct Args {
    Kits19SynthOptions synth;
    fs::path out;
    std::vector<std::size_t> shape;
  };
  auto args = std::make_shared<Args>();
  args->shape.assign(args->synth.shape.begin(), args->synth.shape.end());
  auto* cmd = app.add_subcommand("kits19-synth", "Write synthetic raw KiTS19 cases");
  cmd->add_option("--out", args->out, "Output directory (the KiTS19 data/ layout)")->required();
  cmd->add_option("--cases", args->synth.cases, "Number of cases")->capture_default_str();
  cmd->add_option("--seed", args->synth.seed, "Random seed")->capture_default_str();
  cmd->add_option("--first_id", args->synth.first_case_id, "Id of the first case")
      ->capture_default_str();
  cmd->add_option("--shape", args->shape, "Raw shape D H W (D = slices)")
      ->expected(3)
      ->capture_default_str();
  cmd->add_option("--spacing", args->synth.spacing, "Spacing in mm: slice, row, column")
      ->capture_default_str();
  cmd->add_option("--noise", args->synth.noise_hu, "Noise standard deviation in HU")
      ->capture_default_str();
  return {cmd, [args] {
            std::copy(args->shape.begin(), args->shape.end(), args->synth.shape.begin());
            write_kits19_synthetic(args->out, args->synth, &std::cout);
            return 0;
          }};
}

DataCommand add_preprocess(CLI::App& app) {
  struct Args {
    Kits19PreprocessOptions prep;
    fs::path raw_dir, results_dir;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("kits19-preprocess", "Preprocess raw KiTS19 cases to .npy");
  cmd->add_option("--data_dir", args->raw_dir, "Raw KiTS19 data directory")->required();
  cmd->add_option("--results_dir", args->results_dir, "Output directory")->required();
  cmd->add_option("--min_shape", args->prep.min_shape, "Pad shorter axes to this size")
      ->capture_default_str();
  cmd->add_option("--target_spacing", args->prep.target_spacing, "Target spacing in mm")
      ->capture_default_str();
  return {cmd, [args] {
            preprocess_kits19_dir(args->raw_dir, args->results_dir, args->prep, std::cout);
            return 0;
          }};
}

DataCommand add_verify(CLI::App& app) {
  struct Args {
    fs::path dir, manifest;
  };
  auto args = std::make_shared<Args>();
  auto* cmd =
      app.add_subcommand("kits19-verify", "Check a preprocessed directory against checksum.json");
  cmd->add_option("--results_dir", args->dir, "Preprocessed directory")->required();
  cmd->add_option("--manifest", args->manifest,
                  "Checksum manifest (default: <results_dir>/checksum.json)");
  return {cmd, [args] {
            const fs::path manifest =
                args->manifest.empty() ? default_manifest_path(args->dir) : args->manifest;
            const VerifyReport report = verify_kits19_dir(args->dir, manifest);
            for (const auto& problem : report.problems)
              fmt::print(stderr, "segbench-data: {}\n", problem);
            if (!report.ok()) {
              fmt::print(stderr, "segbench-data: verification failed: {} problem(s) in {}\n",
                         report.problems.size(), args->dir.string());
              return 1;
            }
            fmt::print("verification passed: every file in {} matches {}\n", args->dir.string(),
                       manifest.string());
            return 0;
          }};
}

}  // namespace

void add_kits19_commands(CLI::App& app, DataCommands& commands) {
  commands.push_back(add_synth(app));
  commands.push_back(add_preprocess(app));
  commands.push_back(add_verify(app));
}

}  // namespace segbench::tools
