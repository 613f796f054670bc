// segbench-data subcommands for KiTS19: kits19-synth, kits19-preprocess, kits19-verify.
#include <fmt/core.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "data_command.hpp"
#include "segbench/error.hpp"
#include "segbench/prep/checksum_manifest.hpp"
#include "segbench/prep/dataset_verification.hpp"
#include "segbench/prep/kits19_official_checksums.hpp"
#include "segbench/prep/kits19_preprocess.hpp"
#include "segbench/prep/kits19_synthetic.hpp"
#include "segbench/prep/kits19_verification.hpp"

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
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("kits19-preprocess", "Preprocess raw KiTS19 cases to .npy");
  cmd->add_option("--data_dir", args->raw_dir, "Raw KiTS19 data directory")->required();
  cmd->add_option("--results_dir", args->results_dir, "Output directory")->required();
  cmd->add_option("--min_shape", args->prep.min_shape, "Pad shorter axes to this size")
      ->capture_default_str();
  cmd->add_option("--target_spacing", args->prep.target_spacing, "Target spacing in mm")
      ->capture_default_str();
  cmd->add_option("--interpolation", args->prep.interpolation,
                  "Trilinear arithmetic to reproduce: aten1 (PyTorch 1.x, the reference's; "
                  "default) or aten2 (PyTorch 2.x); they differ by up to ~1e-4 after "
                  "normalisation")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, InterpolationArithmetic>{{"aten1", InterpolationArithmetic::aten1},
                                                         {"aten2", InterpolationArithmetic::aten2}},
          CLI::ignore_case));
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args] {
            preprocess_kits19_dir(args->raw_dir, args->results_dir, args->prep, std::cout,
                                  args->jobs);
            return 0;
          }};
}

template <class Args>
int verify_checksums_command(const Args& args) {
  const Kits19Verification v = verify_kits19_dir(args.dir, args.checksums, args.jobs);
  for (const auto& problem : v.report.problems) {
    fmt::print(stderr, "segbench-data: {}\n", problem);
  }
  const std::string dir = args.dir.string();
  if (!v.report.ok()) {
    fmt::print(stderr, "segbench-data: verification failed: {} problem(s) in {} against {}\n",
               v.report.problems.size(), dir, v.table_name);
    if (v.official && fs::exists(default_manifest_path(args.dir))) {
      fmt::print(stderr,
                 "segbench-data: note: the official MD5s come from the reference's "
                 "PyTorch; --checksums {} checks the files are as segbench wrote "
                 "them (open division)\n",
                 default_manifest_path(args.dir).string());
    }
    return 1;
  }
  if (v.official) {
    fmt::print(
        "verification passed: {} matches {} ({} files); wrote {} (the 3D U-Net "
        "driver's closed-division check)\n",
        dir, v.table_name, kits19_official_checksums().size(),
        (args.dir / kVerificationRecordName).string());
  } else {
    fmt::print(
        "verification passed: every file in {} matches {}{}; not verified as "
        "the official KiTS19 data (the 3D U-Net driver logs the open division)\n",
        dir, v.table_name, v.synthetic ? " (synthetic data)" : "");
  }
  return 0;
}

DataCommand add_verify(CLI::App& app) {
  struct Args {
    fs::path dir, checksums, raw_dir;
    bool contents = false, fast = false;
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "kits19-verify",
      "Check a preprocessed directory against the official MLCommons KiTS19 checksums (420 "
      "files), or the segbench manifest of synthetic data; every problem is reported");
  auto* results = cmd->add_option("--results_dir", args->dir, "Preprocessed directory");
  auto* raw = cmd->add_option("--raw_dir", args->raw_dir,
                              "Raw KiTS19 directory: check every case's NIfTI pair (3-D, same "
                              "shape, positive spacing; finite image, labels 0..2)");
  cmd->add_flag("--contents", args->contents,
                "Also check the preprocessed files themselves: pairs, dtypes, shapes, NaN/Inf, "
                "label values");
  cmd->add_flag("--fast", args->fast,
                "Headers and counts only (no MD5s, no values): the drivers' start-up check");
  cmd->add_option("--checksums,--manifest", args->checksums,
                  "Checksum table to use instead: the upstream JSON {name: md5} or a "
                  "segbench_manifest.json");
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args, results, raw] {
            SEGBENCH_CHECK(results->count() + raw->count() > 0, ConfigError,
                           "kits19-verify: give --results_dir, --raw_dir or both");
            const DatasetCheckOptions check{args->fast ? VerifyDepth::headers : VerifyDepth::full,
                                            args->jobs};
            std::vector<std::string> problems;
            std::string what;
            if (raw->count() > 0) {
              problems = verify_kits19_raw(args->raw_dir, check).problems;
              what = fmt::format("raw {}", args->raw_dir.string());
            }
            if (results->count() > 0 && (args->fast || args->contents)) {
              for (auto& p : verify_kits19_preprocessed(args->dir, check).problems)
                problems.push_back(std::move(p));
              what += fmt::format("{}contents of {}", what.empty() ? "" : ", ", args->dir.string());
            }
            // Checksums read every byte: not in --fast.
            if (results->count() == 0 || args->fast) return report_problems(problems, what);
            const int structure = problems.empty() ? 0 : report_problems(problems, what);
            return std::max(structure, verify_checksums_command(*args));
          }};
}

}  // namespace

void add_kits19_commands(CLI::App& app, DataCommands& commands) {
  commands.push_back(add_synth(app));
  commands.push_back(add_preprocess(app));
  commands.push_back(add_verify(app));
}

}  // namespace segbench::tools
