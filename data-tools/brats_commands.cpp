// segbench-data subcommands for BraTS (MSD Task01): brats-synth, brats-preprocess.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "data_command.hpp"
#include "segbench/error.hpp"
#include "segbench/prep/brats_preprocess.hpp"
#include "segbench/prep/brats_synthetic.hpp"
#include "segbench/prep/dataset_verification.hpp"

namespace segbench::tools {
namespace {

namespace fs = std::filesystem;
using namespace segbench::prep;

DataCommand add_synth(CLI::App& app) {
  struct Args {
    BratsSynthOptions synth;
    fs::path out;
    std::vector<std::size_t> shape;
  };
  auto args = std::make_shared<Args>();
  args->shape.assign(args->synth.shape.begin(), args->synth.shape.end());
  auto* cmd = app.add_subcommand(
      "brats-synth", "Write synthetic BraTS cases in the MSD layout (<out>/Task01_BrainTumour)");
  cmd->add_option("--out", args->out, "Output directory; Task01_BrainTumour/ is created in it")
      ->required();
  cmd->add_option("--cases", args->synth.cases, "Number of training cases")->capture_default_str();
  cmd->add_option("--test_cases", args->synth.test_cases, "Number of imagesTs cases")
      ->capture_default_str();
  cmd->add_option("--seed", args->synth.seed, "Random seed")->capture_default_str();
  cmd->add_option("--first_id", args->synth.first_case_id, "Number of the first case (BRATS_XXX)")
      ->capture_default_str();
  cmd->add_option("--shape", args->shape, "Volume shape X Y Z (nibabel order)")
      ->expected(3)
      ->capture_default_str();
  cmd->add_option("--noise", args->synth.noise,
                  "Noise standard deviation as a fraction of white-matter intensity")
      ->capture_default_str();
  return {cmd, [args] {
            std::copy(args->shape.begin(), args->shape.end(), args->synth.shape.begin());
            write_brats_synthetic(args->out, args->synth, &std::cout);
            return 0;
          }};
}

DataCommand add_preprocess(CLI::App& app) {
  struct Args {
    BratsPreprocessOptions prep;
    fs::path task_dir, results_dir;
    std::vector<std::size_t> patch;
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  args->patch.assign(args->prep.patch_size.begin(), args->prep.patch_size.end());
  auto* cmd = app.add_subcommand(
      "brats-preprocess",
      "Preprocess MSD Task01 training cases for the nnU-Net 2-D benchmark (BRATS_XXX_{x,y}.npy)");
  cmd->add_option("--data_dir", args->task_dir, "The Task01_BrainTumour directory (dataset.json)")
      ->required();
  cmd->add_option("--results_dir", args->results_dir,
                  "Output directory (the reference's <results>/01_2d)")
      ->required();
  cmd->add_option("--patch_size", args->patch, "Patch size H W of the saved slices")
      ->expected(2)
      ->capture_default_str();
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args] {
            std::copy(args->patch.begin(), args->patch.end(), args->prep.patch_size.begin());
            preprocess_brats_dir(args->task_dir, args->results_dir, args->prep, std::cout,
                                 args->jobs);
            return 0;
          }};
}

DataCommand add_verify(CLI::App& app) {
  struct Args {
    fs::path task_dir, results_dir;
    bool fast = false;
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "brats-verify",
      "Check an MSD Task01 directory (dataset.json against the files, 4 modalities, shapes, "
      "NaN/Inf, label values) and/or a brats-preprocess output; every problem is reported");
  auto* task = cmd->add_option("--data_dir", args->task_dir,
                               "The Task01_BrainTumour directory (dataset.json)");
  auto* results = cmd->add_option("--results_dir", args->results_dir,
                                  "A brats-preprocess output (config.json, BRATS_XXX_{x,y}.npy)");
  cmd->add_flag("--fast", args->fast,
                "Headers and counts only (no values): the drivers' start-up check");
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args, task, results] {
            SEGBENCH_CHECK(task->count() + results->count() > 0, ConfigError,
                           "brats-verify: give --data_dir, --results_dir or both");
            const DatasetCheckOptions check{args->fast ? VerifyDepth::headers : VerifyDepth::full,
                                            args->jobs};
            std::vector<std::string> problems;
            std::vector<std::string> what;
            if (task->count() > 0) {
              problems = verify_brats(args->task_dir, check).problems;
              what.push_back(args->task_dir.string());
            }
            if (results->count() > 0) {
              for (auto& p : verify_brats_preprocessed(args->results_dir, check).problems)
                problems.push_back(std::move(p));
              what.push_back(args->results_dir.string());
            }
            return report_problems(problems, fmt::format("{}", fmt::join(what, " and ")));
          }};
}

}  // namespace

void add_brats_commands(CLI::App& app, DataCommands& commands) {
  commands.push_back(add_synth(app));
  commands.push_back(add_preprocess(app));
  commands.push_back(add_verify(app));
}

}  // namespace segbench::tools
