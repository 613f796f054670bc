// segbench-data subcommands for CAM5 / DeepCAM: cam5-synth, cam5-stats, cam5-convert,
// cam5-split.
#include <fmt/core.h>

#include <iostream>
#include <memory>

#include "data_command.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_split.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"

namespace segbench::tools {
namespace {

namespace fs = std::filesystem;
using namespace segbench::prep;

DataCommand add_synth(CLI::App& app) {
  struct Args {
    Cam5SynthOptions synth;
    fs::path out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-synth", "Write synthetic CAM5 samples (<out>/train, <out>/validation; or <out>/all)");
  cmd->add_option("--out", args->out, "Output directory")->required();
  cmd->add_option("--train", args->synth.train_samples, "Number of train samples")
      ->capture_default_str();
  cmd->add_option("--validation", args->synth.validation_samples, "Number of validation samples")
      ->capture_default_str();
  cmd->add_option("--height", args->synth.height, "Latitude rows")->capture_default_str();
  cmd->add_option("--width", args->synth.width, "Longitude columns")->capture_default_str();
  cmd->add_option("--seed", args->synth.seed, "Random seed")->capture_default_str();
  cmd->add_option("--noise", args->synth.noise, "Scale of the white per-pixel noise")
      ->capture_default_str();
  cmd->add_option("--event_scale", args->synth.event_scale,
                  "Multiplies cyclone radii and river widths (3-4 for 96x144 demos)")
      ->capture_default_str();
  cmd->add_option("--cyclones", args->synth.cyclones_per_sample,
                  "Mean number of tropical cyclones per sample")
      ->capture_default_str();
  cmd->add_option("--rivers", args->synth.rivers_per_sample,
                  "Mean number of atmospheric rivers per sample")
      ->capture_default_str();
  cmd->add_flag("--flat", args->synth.flat,
                "Write all samples into <out>/all (the input of cam5-split)");
  return {cmd, [args] {
            write_cam5_synthetic(args->out, args->synth, &std::cout);
            return 0;
          }};
}

DataCommand add_stats(CLI::App& app) {
  struct Args {
    fs::path data_dir, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-stats", "Compute stats.h5 (per-channel min/max/mean/sqmean) over <data_dir>/train");
  cmd->add_option("--data_dir", args->data_dir, "Directory holding train/")->required();
  cmd->add_option("--out", args->out, "Output file (default: <data_dir>/stats.h5)");
  return {cmd, [args] {
            const fs::path out = args->out.empty() ? args->data_dir / "stats.h5" : args->out;
            const Cam5Stats stats = compute_cam5_stats(args->data_dir / "train", &std::cout);
            write_cam5_stats(out, stats);
            fmt::print("wrote {} ({} files, {} channels)\n", out.string(), stats.count,
                       stats.minval.size());
            return 0;
          }};
}

DataCommand add_convert(CLI::App& app) {
  struct Args {
    fs::path data_dir, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-convert",
      "Convert HDF5 samples to data-*.npy / label-*.npy, keeping train/validation/test");
  cmd->add_option("--data_dir", args->data_dir, "Directory holding train/, validation/")
      ->required();
  cmd->add_option("--out", args->out, "Output directory")->required();
  return {cmd, [args] {
            convert_cam5_directory(args->data_dir, args->out, &std::cout);
            return 0;
          }};
}

DataCommand add_split(CLI::App& app) {
  struct Args {
    Cam5SplitOptions split;
    fs::path input, out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-split",
      "Split a flat directory of data-*.h5 80/10/10 into train/validation/test (seed 12345)");
  cmd->add_option("--input", args->input, "Flat directory of data-*.h5 files")->required();
  cmd->add_option("--out", args->out, "Output directory for train/, validation/, test/")
      ->required();
  cmd->add_option("--seed", args->split.seed, "numpy legacy seed")->capture_default_str();
  cmd->add_flag("--copy", args->split.copy, "Copy files instead of symbolic links");
  return {cmd, [args] {
            const Cam5Split split =
                split_cam5_directory(args->input, args->out, args->split, &std::cout);
            fmt::print("split {} files: {} train, {} validation, {} test\n",
                       split.train.size() + split.validation.size() + split.test.size(),
                       split.train.size(), split.validation.size(), split.test.size());
            return 0;
          }};
}

}  // namespace

void add_cam5_commands(CLI::App& app, DataCommands& commands) {
  commands.push_back(add_synth(app));
  commands.push_back(add_stats(app));
  commands.push_back(add_convert(app));
  commands.push_back(add_split(app));
}

}  // namespace segbench::tools
