// segbench-data: KiTS19 data tools. Subcommands:
//   kits19-synth       write synthetic raw cases (case_XXXXX/imaging.nii.gz, segmentation.nii.gz)
//   kits19-preprocess  raw cases → case_XXXXX_{x,y}.npy + checksum.json
//   kits19-verify      compare a preprocessed directory with its checksum manifest
// Exit codes: 0 success, 1 verification found problems, 2 error.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>

#include "segbench/error.hpp"
#include "segbench/prep/checksum_manifest.hpp"
#include "segbench/prep/kits19_preprocess.hpp"
#include "segbench/prep/kits19_synthetic.hpp"

namespace {

namespace fs = std::filesystem;
using namespace segbench::prep;

int report_error(const std::string& message) {
  fmt::print(stderr, "segbench-data: error: {}\n", message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"segbench-data: synthetic KiTS19 data, preprocessing and verification"};
  app.require_subcommand(1);

  Kits19SynthOptions synth;
  fs::path synth_out;
  std::vector<std::size_t> synth_shape(synth.shape.begin(), synth.shape.end());
  auto* synth_cmd = app.add_subcommand("kits19-synth", "Write synthetic raw KiTS19 cases");
  synth_cmd->add_option("--out", synth_out, "Output directory (the KiTS19 data/ layout)")
      ->required();
  synth_cmd->add_option("--cases", synth.cases, "Number of cases")->capture_default_str();
  synth_cmd->add_option("--seed", synth.seed, "Random seed")->capture_default_str();
  synth_cmd->add_option("--first_id", synth.first_case_id, "Id of the first case")
      ->capture_default_str();
  synth_cmd->add_option("--shape", synth_shape, "Raw shape D H W (D = slices)")
      ->expected(3)
      ->capture_default_str();
  synth_cmd->add_option("--spacing", synth.spacing, "Spacing in mm: slice, row, column")
      ->capture_default_str();
  synth_cmd->add_option("--noise", synth.noise_hu, "Noise standard deviation in HU")
      ->capture_default_str();

  Kits19PreprocessOptions prep;
  fs::path raw_dir, results_dir;
  auto* prep_cmd = app.add_subcommand("kits19-preprocess", "Preprocess raw KiTS19 cases to .npy");
  prep_cmd->add_option("--data_dir", raw_dir, "Raw KiTS19 data directory")->required();
  prep_cmd->add_option("--results_dir", results_dir, "Output directory")->required();
  prep_cmd->add_option("--min_shape", prep.min_shape, "Pad shorter axes to this size")
      ->capture_default_str();
  prep_cmd->add_option("--target_spacing", prep.target_spacing, "Target spacing in mm")
      ->capture_default_str();

  fs::path verify_dir, manifest;
  auto* verify_cmd =
      app.add_subcommand("kits19-verify", "Check a preprocessed directory against checksum.json");
  verify_cmd->add_option("--results_dir", verify_dir, "Preprocessed directory")->required();
  verify_cmd->add_option("--manifest", manifest,
                         "Checksum manifest (default: <results_dir>/checksum.json)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(e.what());
  }

  try {
    if (synth_cmd->parsed()) {
      std::copy(synth_shape.begin(), synth_shape.end(), synth.shape.begin());
      write_kits19_synthetic(synth_out, synth, &std::cout);
    } else if (prep_cmd->parsed()) {
      preprocess_kits19_dir(raw_dir, results_dir, prep, std::cout);
    } else if (verify_cmd->parsed()) {
      const fs::path manifest_path =
          manifest.empty() ? default_manifest_path(verify_dir) : manifest;
      const VerifyReport report = verify_kits19_dir(verify_dir, manifest_path);
      for (const auto& problem : report.problems)
        fmt::print(stderr, "segbench-data: {}\n", problem);
      if (!report.ok()) {
        fmt::print(stderr, "segbench-data: verification failed: {} problem(s) in {}\n",
                   report.problems.size(), verify_dir.string());
        return 1;
      }
      fmt::print("verification passed: every file in {} matches {}\n", verify_dir.string(),
                 manifest_path.string());
    }
  } catch (const std::exception& e) {
    return report_error(e.what());
  }
  return 0;
}
