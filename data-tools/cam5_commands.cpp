// segbench-data subcommands for CAM5 / DeepCAM: cam5-synth, cam5-stats, cam5-convert,
// cam5-split.
#include <fmt/core.h>

#include <exception>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "data_command.hpp"
#include "mpi_world.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_split.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"
#include "segbench/prep/dataset_verification.hpp"

namespace segbench::tools {
namespace {

namespace fs = std::filesystem;
using namespace segbench::prep;

/// After a collective all_ok found a failure: the failing ranks print their error; exit 2.
int report_rank_error(const MpiWorld& world, const std::string& error) {
  if (!error.empty()) {
    if (world.size() > 1)
      fmt::print(stderr, "segbench-data: error: rank {}/{}: {}\n", world.rank(), world.size(),
                 error);
    else
      fmt::print(stderr, "segbench-data: error: {}\n", error);
  }
  return 2;
}

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
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-stats", "Compute stats.h5 (per-channel min/max/mean/sqmean) over <data_dir>/train");
  cmd->add_option("--data_dir", args->data_dir, "Directory holding train/")->required();
  cmd->add_option("--out", args->out, "Output file (default: <data_dir>/stats.h5)");
  add_jobs_option(cmd, args->jobs);
  return {
      cmd, [args] {
        const fs::path out = args->out.empty() ? args->data_dir / "stats.h5" : args->out;
        // Under mpirun/srun each rank reads its own files (file i on rank i % size); the
        // per-file sums are gathered on rank 0 and added in file order, so stats.h5 is the
        // same whatever the number of ranks and jobs.
        const MpiWorld world;
        std::vector<fs::path> files;
        std::vector<double> packed;  // per file: C, then Cam5FileStats::pack()
        std::string error;
        try {
          files = io::list_h5_files(args->data_dir / "train");
          for (const Cam5FileStats& s : compute_cam5_file_stats(
                   files, world.share(), args->jobs, world.rank() == 0 ? &std::cout : nullptr)) {
            packed.push_back(static_cast<double>(s.sum.size()));
            const std::vector<double> p = s.pack();
            packed.insert(packed.end(), p.begin(), p.end());
          }
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (!world.all_ok(error.empty())) return report_rank_error(world, error);
        const std::vector<double> all = world.gather_to_root(packed);
        if (world.rank() != 0) return 0;
        std::vector<Cam5FileStats> per_file(files.size());
        std::size_t at = 0;
        for (int r = 0; r < world.size(); ++r) {
          for (std::size_t index : RankShare{r, world.size()}.indices(files.size())) {
            const auto channels = static_cast<std::size_t>(all.at(at));
            per_file[index] = Cam5FileStats::unpack(
                std::span<const double>(all).subspan(at + 1, 1 + 4 * channels), channels);
            at += 2 + 4 * channels;
          }
        }
        const Cam5Stats stats = combine_cam5_stats(per_file, files);
        write_cam5_stats(out, stats);
        fmt::print("wrote {} ({} files, {} channels, {} rank(s))\n", out.string(), stats.count,
                   stats.minval.size(), world.size());
        for (std::size_t c = 0; c < stats.minval.size(); ++c) {
          fmt::print("  {:<22} minval {:.9g} maxval {:.9g} mean {:.9g} sqmean {:.9g}\n",
                     cam5_field_name(c, stats.minval.size()), static_cast<float>(stats.minval[c]),
                     static_cast<float>(stats.maxval[c]), static_cast<float>(stats.mean[c]),
                     static_cast<float>(stats.sqmean[c]));
        }
        return 0;
      }};
}

DataCommand add_convert(CLI::App& app) {
  struct Args {
    fs::path data_dir, out;
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-convert",
      "Convert HDF5 samples to data-*.npy / label-*.npy, keeping train/validation/test");
  cmd->add_option("--data_dir", args->data_dir, "Directory holding train/, validation/")
      ->required();
  cmd->add_option("--out", args->out, "Output directory")->required();
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args] {
            // Under mpirun/srun each rank converts its own samples (sample i on rank i % size).
            const MpiWorld world;
            std::string error;
            try {
              convert_cam5_directory(args->data_dir, args->out,
                                     world.rank() == 0 ? &std::cout : nullptr, args->jobs,
                                     world.share());
            } catch (const std::exception& e) {
              error = e.what();
            }
            if (!world.all_ok(error.empty())) return report_rank_error(world, error);
            if (world.size() > 1 && world.rank() == 0)
              fmt::print("every one of the {} ranks converted its share\n", world.size());
            return 0;
          }};
}

DataCommand add_split(CLI::App& app) {
  struct Args {
    Cam5SplitOptions split;
    fs::path input, out;
    int jobs = 0;
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
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args] {
            const Cam5Split split =
                split_cam5_directory(args->input, args->out, args->split, &std::cout, args->jobs);
            fmt::print("split {} files: {} train, {} validation, {} test\n",
                       split.train.size() + split.validation.size() + split.test.size(),
                       split.train.size(), split.validation.size(), split.test.size());
            return 0;
          }};
}

DataCommand add_verify(CLI::App& app) {
  struct Args {
    fs::path data_dir;
    bool fast = false, subset = false;
    int jobs = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "cam5-verify",
      "Check a CAM5 directory (train/, validation/, stats.h5): counts, shapes, dtypes, NaN/Inf, "
      "label values, stats.h5 against the data; every problem is reported");
  cmd->add_option("--data_dir", args->data_dir, "Directory holding train/, validation/, stats.h5")
      ->required();
  cmd->add_flag("--fast", args->fast,
                "Headers and counts only (no values): the drivers' start-up check");
  cmd->add_flag("--subset", args->subset,
                "Real-shaped (768x1152x16) data that is only a part of the set: do not require "
                "the real split's file counts");
  add_jobs_option(cmd, args->jobs);
  return {cmd, [args] {
            const DatasetCheckOptions check{args->fast ? VerifyDepth::headers : VerifyDepth::full,
                                            args->jobs, !args->subset};
            return report_problems(verify_cam5(args->data_dir, check).problems,
                                   args->data_dir.string());
          }};
}

}  // namespace

void add_cam5_commands(CLI::App& app, DataCommands& commands) {
  commands.push_back(add_synth(app));
  commands.push_back(add_stats(app));
  commands.push_back(add_convert(app));
  commands.push_back(add_split(app));
  commands.push_back(add_verify(app));
}

}  // namespace segbench::tools
