#include "segbench/recipes/unet3d/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "segbench/error.hpp"
#include "segbench/recipes/common/cli.hpp"

namespace segbench {

Unet3dConfig unet3d_preset(const std::string& name) {
  Unet3dConfig c;
  c.preset = name;
  if (name == "baseline" || name == "mlcommons") {
    // REF3D run_and_time.sh (fidelity §1.5); the seed's as-is test starts evaluating at 500.
    c.data_dir = name == "baseline" ? "./data" : "/data";
    c.epochs = 4000;
    c.learning_rate = 0.8;
    c.lr_warmup_epochs = 200;
    c.evaluate_every = 20;
    c.start_eval_at = name == "baseline" ? 500 : 1000;
    c.num_workers = 8;
    return c;
  }
  if (name == "reference") {
    c = unet3d_preset("baseline");
    c.notes.push_back("--preset reference is an alias of --preset baseline");
    return c;
  }
  if (name == "demo") {
    // Reduced U-Net on small synthetic volumes: reaches mean Dice 0.908 in about a minute on
    // 2 cores (the tumour class is picked up after ~25 epochs of 7 steps).
    c.filters = {8, 16, 32, 64};
    c.input_shape = {32, 32, 32};
    c.val_input_shape = {32, 32, 32};
    c.epochs = 150;
    c.batch_size = 2;
    c.optimizer = "adam";
    c.learning_rate = 5e-3;
    c.init_learning_rate = 1e-4;
    c.lr_warmup_epochs = 2;
    // Not earlier: an all-background model scores Dice 0, which the reference's divergence
    // rule (mean Dice < 1e-6) treats as a diverged run.
    c.start_eval_at = 20;
    c.evaluate_every = 2;
    c.oversampling = 0.8;  // more foreground patches: the small tumour class is learned sooner
    c.num_workers = 1;
    c.cache_dataset = true;
    c.windows_per_batch = 4;
    c.seed = 1;
    c.threads = 2;
    return c;
  }
  if (name == "smoke") {
    // Seconds: exercises every stage, not meant to reach the target.
    c = unet3d_preset("demo");
    c.preset = name;
    c.filters = {4, 8, 16};
    c.input_shape = {16, 16, 16};
    c.val_input_shape = {16, 16, 16};
    c.epochs = 2;
    c.start_eval_at = 1;
    c.evaluate_every = 1;
    c.threads = 1;
    return c;
  }
  throw ConfigError(fmt::format(
      "unknown preset '{}' (known: baseline, mlcommons, demo, smoke; reference = baseline)", name));
}

std::vector<std::string> unet3d_preset_names() {
  return {"baseline", "mlcommons", "demo", "smoke", "reference"};
}

std::string unet3d_preset_source(const std::string& preset) {
  constexpr const char* ref3d =
      "mlcommons/training@aa344c7 retired_benchmarks/unet3d/pytorch/run_and_time.sh";
  if (preset == "baseline") {
    return fmt::format(
        "the seed's NREL ESIF-HPC-4 as-is test: {} flags with --data_dir ./data "
        "--start_eval_at 500",
        ref3d);
  }
  if (preset == "mlcommons")
    return fmt::format("{} (--data_dir /data --start_eval_at 1000)", ref3d);
  return "segbench preset (no reference counterpart: reduced model and data)";
}

std::string unet3d_reference_command(const Unet3dConfig& c) {
  const Unet3dConfig d;  // runtime/arguments.py defaults, except the keys below
  std::string cmd = fmt::format(
      "main.py --data_dir {} --epochs {} --evaluate_every {} --start_eval_at {} "
      "--quality_threshold {} --batch_size {} --optimizer {} --ga_steps {} --learning_rate {} "
      "--seed {} --lr_warmup_epochs {}",
      c.data_dir.string(), c.epochs, c.evaluate_every, c.start_eval_at, c.quality_threshold,
      c.batch_size, c.optimizer, c.ga_steps, c.learning_rate, c.seed, c.lr_warmup_epochs);
  const auto add = [&cmd](bool differs, const std::string& flag, const std::string& value) {
    if (differs) cmd += fmt::format(" {} {}", flag, value);
  };
  const auto list = [](const auto& values) { return fmt::format("{}", fmt::join(values, " ")); };
  add(c.init_learning_rate != d.init_learning_rate, "--init_learning_rate",
      fmt::format("{}", c.init_learning_rate));
  add(c.lr_decay_epochs != d.lr_decay_epochs, "--lr_decay_epochs", list(c.lr_decay_epochs));
  add(c.lr_decay_factor != d.lr_decay_factor, "--lr_decay_factor",
      fmt::format("{}", c.lr_decay_factor));
  add(c.momentum != d.momentum, "--momentum", fmt::format("{}", c.momentum));
  add(c.weight_decay != d.weight_decay, "--weight_decay", fmt::format("{}", c.weight_decay));
  add(c.lamb_betas != d.lamb_betas, "--lamb_betas", list(c.lamb_betas));
  add(c.input_shape != d.input_shape, "--input_shape", list(c.input_shape));
  add(c.val_input_shape != d.val_input_shape, "--val_input_shape", list(c.val_input_shape));
  add(c.oversampling != d.oversampling, "--oversampling", fmt::format("{}", c.oversampling));
  add(c.overlap != d.overlap, "--overlap", fmt::format("{}", c.overlap));
  add(c.num_workers != 8, "--num_workers", fmt::format("{}", c.num_workers));
  add(c.normalization != d.normalization, "--normalization", c.normalization);
  add(c.activation != d.activation, "--activation", c.activation);
  add(!c.log_dir.empty(), "--log_dir", c.log_dir.string());
  add(!c.save_ckpt_path.empty(), "--save_ckpt_path", c.save_ckpt_path.string());
  add(!c.load_ckpt_path.empty(), "--load_ckpt_path", c.load_ckpt_path.string());
  return cmd;
}

int64_t default_evaluate_every(int64_t samples_per_epoch) {
  SEGBENCH_CHECK(samples_per_epoch > 0, ConfigError, "samples per epoch must be > 0, got {}",
                 samples_per_epoch);
  return static_cast<int64_t>(std::ceil(20.0 * 168.0 / static_cast<double>(samples_per_epoch)));
}

int64_t default_start_eval_at(int64_t samples_per_epoch) {
  SEGBENCH_CHECK(samples_per_epoch > 0, ConfigError, "samples per epoch must be > 0, got {}",
                 samples_per_epoch);
  return static_cast<int64_t>(std::ceil(1000.0 * 168.0 / static_cast<double>(samples_per_epoch)));
}

void validate(const Unet3dConfig& c) {
  SEGBENCH_CHECK(!c.data_dir.empty() || c.dry_run, ConfigError, "--data_dir is required");
  SEGBENCH_CHECK(c.epochs >= 1, ConfigError, "--epochs must be >= 1, got {}", c.epochs);
  SEGBENCH_CHECK(c.batch_size >= 1, ConfigError, "--batch_size must be >= 1, got {}", c.batch_size);
  SEGBENCH_CHECK(c.ga_steps >= 1, ConfigError, "--ga_steps must be >= 1, got {}", c.ga_steps);
  SEGBENCH_CHECK(c.optimizer == "sgd" || c.optimizer == "adam" || c.optimizer == "lamb",
                 ConfigError, "--optimizer must be sgd, adam or lamb, got '{}'", c.optimizer);
  SEGBENCH_CHECK(c.filters.size() >= 2, ConfigError,
                 "--filters needs at least 2 entries (input block + one stage), got {}",
                 c.filters.size());
  const int64_t multiple = int64_t{1} << c.filters.size();
  for (int axis = 0; axis < 3; ++axis) {
    SEGBENCH_CHECK(c.input_shape[axis] % multiple == 0 && c.val_input_shape[axis] % multiple == 0,
                   ConfigError,
                   "--input_shape/--val_input_shape must be multiples of {} for {} stride-2 "
                   "stages, got [{}, {}, {}] / [{}, {}, {}]",
                   multiple, c.filters.size(), c.input_shape[0], c.input_shape[1], c.input_shape[2],
                   c.val_input_shape[0], c.val_input_shape[1], c.val_input_shape[2]);
  }
  SEGBENCH_CHECK(c.overlap >= 0 && c.overlap < 1, ConfigError,
                 "--overlap must be in [0, 1), got {}", c.overlap);
  SEGBENCH_CHECK(c.oversampling >= 0 && c.oversampling <= 1, ConfigError,
                 "--oversampling must be in [0, 1], got {}", c.oversampling);
  SEGBENCH_CHECK(c.submission_division == "auto" || c.submission_division == "open" ||
                     c.submission_division == "closed",
                 ConfigError, "--submission_division must be auto, open or closed, got '{}'",
                 c.submission_division);
  SEGBENCH_CHECK(c.dist_timeout > 0, ConfigError, "--dist_timeout must be > 0 s, got {}",
                 c.dist_timeout);
  SEGBENCH_CHECK(c.evaluate_every >= 0 && c.start_eval_at >= 0, ConfigError,
                 "--evaluate_every/--start_eval_at must be >= 0 (0 = reference default)");
}

namespace {

// REF3D runtime/arguments.py flags that segbench has no setting for (fidelity §1.5).
struct ReferenceOnlyFlags {
  std::string loader = "pytorch";
  int64_t local_rank = 0;
  int64_t warmup_steps = 4;
  std::string layout = "NCDHW";
  std::string exec_mode = "train";
  bool benchmark = false, verbose = false, include_background = false;
  bool cudnn_benchmark = false, cudnn_deterministic = false;
};

void add_reference_only_flags(CLI::App& app, ReferenceOnlyFlags& r) {
  const std::string group = "Reference flags without a segbench setting (noted or refused)";
  app.add_option("--loader", r.loader, "pytorch (synthetic: refused)")->group(group);
  app.add_option("--local_rank", r.local_rank, "ignored: ranks come from the launcher")
      ->group(group);
  app.add_option("--warmup_steps", r.warmup_steps, "ignored (REF3D benchmark callback only)")
      ->group(group);
  app.add_option("--layout", r.layout, "NCDHW only")->group(group);
  app.add_option("--exec_mode", r.exec_mode, "train only (evaluate: refused)")->group(group);
  app.add_flag("--benchmark", r.benchmark, "ignored (segbench always reports throughput)")
      ->group(group);
  app.add_flag("--verbose,-v", r.verbose, "ignored")->group(group);
  app.add_flag("--include_background", r.include_background, "refused (not implemented)")
      ->group(group);
  app.add_flag("--cudnn_benchmark", r.cudnn_benchmark, "ignored")->group(group);
  app.add_flag("--cudnn_deterministic", r.cudnn_deterministic, "= --deterministic")->group(group);
}

void map_reference_only_flags(const CLI::App& app, const ReferenceOnlyFlags& r, Unet3dConfig& c) {
  const auto given = [&app](const char* flag) { return app.count(flag) > 0; };
  SEGBENCH_CHECK(r.loader == "pytorch", ConfigError,
                 "--loader {}: segbench reads preprocessed .npy files only (--loader pytorch); "
                 "for generated data use segbench-data kits19-synth",
                 r.loader);
  SEGBENCH_CHECK(r.layout == "NCDHW", ConfigError, "--layout must be NCDHW, got '{}'", r.layout);
  SEGBENCH_CHECK(r.exec_mode == "train", ConfigError,
                 "--exec_mode {}: only train is implemented (evaluation runs during training)",
                 r.exec_mode);
  SEGBENCH_CHECK(!r.include_background, ConfigError,
                 "--include_background: not implemented (the Dice loss and score use classes 1 "
                 "and 2, the reference default)");
  if (given("--loader")) c.notes.push_back("--loader pytorch: the only loader (preprocessed .npy)");
  if (given("--local_rank")) {
    c.notes.push_back(
        "--local_rank ignored: rank and local rank come from the launcher "
        "(Slurm, mpirun, torchrun variables)");
  }
  if (given("--warmup_steps")) {
    c.notes.push_back("--warmup_steps ignored: it only affects REF3D's benchmark callback");
  }
  if (given("--layout")) c.notes.push_back("--layout NCDHW: the only layout");
  if (given("--exec_mode")) c.notes.push_back("--exec_mode train: the only mode");
  if (r.benchmark) {
    c.notes.push_back("--benchmark ignored: the epoch lines and the summary report throughput");
  }
  if (r.verbose) c.notes.push_back("--verbose ignored");
  if (r.cudnn_benchmark) {
    c.notes.push_back(
        "--cudnn_benchmark ignored: cuDNN benchmark mode is on with CUDA unless --deterministic");
  }
  if (r.cudnn_deterministic) {
    c.deterministic = true;
    c.notes.push_back("--cudnn_deterministic: taken as --deterministic");
  }
}

}  // namespace

Unet3dConfig parse_unet3d_cli(int argc, const char* const* argv) {
  Unet3dConfig c = unet3d_preset(cli::find_preset(argc, argv, "baseline"));
  CLI::App app{"MLCommons 3D U-Net on KiTS19 (segbench)", "unet3d_kits19"};
  std::string preset = c.preset;
  app.add_option("--preset", preset,
                 "baseline (seed's as-is test) | mlcommons (run_and_time.sh) | demo | smoke; "
                 "reference = baseline")
      ->capture_default_str();
  app.add_option("--data_dir", c.data_dir, "directory of preprocessed case_XXXXX_{x,y}.npy");
  app.add_option("--log_dir", c.log_dir, "MLLOG output directory (unet3d.log)");
  app.add_option("--save_ckpt_path", c.save_ckpt_path, "checkpoint file written at the end");
  app.add_option("--load_ckpt_path,--resume", c.load_ckpt_path, "resume from this checkpoint");
  app.add_option("--checkpoint_every", c.checkpoint_every, "epochs between checkpoints")
      ->capture_default_str();
  app.add_option("--filters", c.filters, "channels per stage (sets width and depth)")
      ->capture_default_str();
  app.add_option("--normalization", c.normalization, "instancenorm | batchnorm | none")
      ->capture_default_str();
  app.add_option("--activation", c.activation, "relu | leaky_relu")->capture_default_str();
  app.add_flag("--fast_upsample,!--no-fast_upsample", c.fast_upsample,
               "up-sample with 1x1x1 conv + depth-to-space (same parameters as ConvTranspose3d)");
  app.add_option("--epochs", c.epochs, "maximum epochs")->capture_default_str();
  app.add_option("--quality_threshold", c.quality_threshold, "target mean Dice")
      ->capture_default_str();
  app.add_option("--batch_size", c.batch_size, "per-rank batch size")->capture_default_str();
  app.add_option("--ga_steps", c.ga_steps, "gradient accumulation steps")->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "sgd | adam | lamb")->capture_default_str();
  app.add_option("--learning_rate", c.learning_rate)->capture_default_str();
  app.add_option("--init_learning_rate", c.init_learning_rate)->capture_default_str();
  app.add_option("--lr_warmup_epochs", c.lr_warmup_epochs)->capture_default_str();
  app.add_option("--lr_decay_epochs", c.lr_decay_epochs)->capture_default_str();
  app.add_option("--lr_decay_factor", c.lr_decay_factor)->capture_default_str();
  app.add_option("--momentum", c.momentum)->capture_default_str();
  app.add_option("--weight_decay", c.weight_decay)->capture_default_str();
  cli::add_array_option(app, "--lamb_betas", c.lamb_betas, "LAMB beta1 beta2");
  app.add_option("--evaluate_every,--eval_every", c.evaluate_every, "0 = reference default")
      ->capture_default_str();
  app.add_option("--start_eval_at", c.start_eval_at, "0 = reference default")
      ->capture_default_str();
  cli::add_array_option(app, "--input_shape", c.input_shape, "training patch D H W");
  cli::add_array_option(app, "--val_input_shape", c.val_input_shape, "sliding-window ROI D H W");
  app.add_option("--oversampling", c.oversampling)->capture_default_str();
  app.add_option("--overlap", c.overlap)->capture_default_str();
  app.add_option("--num_workers", c.num_workers, "data-loader threads")->capture_default_str();
  app.add_flag("--cache_dataset,!--no-cache_dataset", c.cache_dataset, "keep volumes in memory");
  app.add_flag("--brightness_quirk,!--no-brightness_quirk", c.brightness_quirk,
               "reference brightness factor 1+U(0.7,1.3)");
  app.add_option("--windows_per_batch", c.windows_per_batch, "sliding windows per forward")
      ->capture_default_str();
  cli::add_runtime_options(app, c);
  cli::add_submission_options(app, c);
  ReferenceOnlyFlags ref;
  add_reference_only_flags(app, ref);
  cli::parse_or_throw(app, argc, argv);
  map_reference_only_flags(app, ref, c);
  validate(c);
  return c;
}

nlohmann::json to_json(const Unet3dConfig& c) {
  return {{"preset", c.preset},
          {"reference_source", unet3d_preset_source(c.preset)},
          {"reference_command", unet3d_reference_command(c)},
          {"notes", c.notes},
          {"data_dir", c.data_dir.string()},
          {"log_dir", c.log_dir.string()},
          {"save_ckpt_path", c.save_ckpt_path.string()},
          {"load_ckpt_path", c.load_ckpt_path.string()},
          {"checkpoint_every", c.checkpoint_every},
          {"filters", c.filters},
          {"normalization", c.normalization},
          {"activation", c.activation},
          {"fast_upsample", c.fast_upsample},
          {"epochs", c.epochs},
          {"quality_threshold", c.quality_threshold},
          {"batch_size", c.batch_size},
          {"ga_steps", c.ga_steps},
          {"optimizer", c.optimizer},
          {"learning_rate", c.learning_rate},
          {"init_learning_rate", c.init_learning_rate},
          {"lr_warmup_epochs", c.lr_warmup_epochs},
          {"lr_decay_epochs", c.lr_decay_epochs},
          {"lr_decay_factor", c.lr_decay_factor},
          {"momentum", c.momentum},
          {"weight_decay", c.weight_decay},
          {"lamb_betas", c.lamb_betas},
          {"evaluate_every", c.evaluate_every},
          {"start_eval_at", c.start_eval_at},
          {"input_shape", c.input_shape},
          {"val_input_shape", c.val_input_shape},
          {"oversampling", c.oversampling},
          {"overlap", c.overlap},
          {"brightness_quirk", c.brightness_quirk},
          {"num_workers", c.num_workers},
          {"cache_dataset", c.cache_dataset},
          {"windows_per_batch", c.windows_per_batch},
          {"device", c.device},
          {"amp", c.amp},
          {"channels_last", c.channels_last},
          {"tf32", c.tf32},
          {"deterministic", c.deterministic},
          {"dist", c.dist},
          {"dist_timeout", c.dist_timeout},
          {"grad_sync", c.grad_sync},
          {"seed", c.seed},
          {"threads", c.threads},
          {"submission_org", c.submission_org},
          {"submission_platform", c.submission_platform},
          {"submission_status", c.submission_status},
          {"submission_division", c.submission_division}};
}

}  // namespace segbench
