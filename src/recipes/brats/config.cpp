#include "segbench/recipes/brats/config.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/recipes/common/cli.hpp"

namespace segbench {

BratsConfig brats_preset(const std::string& name) {
  BratsConfig c;
  c.preset = name;
  if (name == "reference") {
    // The seed's HAB command (README recipe: batch 64, AdamW 1e-3, deep supervision, instance
    // norm) on main.py's defaults: early stopping, patience 100, min 30, max 10000 epochs.
    c.num_workers = 8;
    return c;
  }
  if (name == "time-to-target") {
    c = brats_preset("reference");
    c.preset = name;
    c.early_stopping = false;
    c.quality_target = 0.73;
    c.notes.push_back(
        "time-to-target: the run stops at mean Dice 0.73 (DLE21 README's 2-D fold average), a "
        "segbench extension; the reference has no quality target and stops by early stopping");
    return c;
  }
  if (name == "demo") {
    // Synthetic MSD volumes preprocessed to 64×64 slices, a narrow network: minutes on 2 cores.
    c.patch = {64, 64};
    c.filters = {8, 16, 32, 64, 128};
    c.batch_size = 16;
    c.val_batch_size = 32;
    c.max_epochs = 60;
    c.early_stopping = false;
    c.quality_target = 0.90;
    c.learning_rate = 3e-3;
    c.num_workers = 1;
    c.threads = 2;
    return c;
  }
  if (name == "smoke") {
    c = brats_preset("demo");
    c.preset = name;
    c.patch = {32, 32};
    c.filters = {4, 8, 16};
    c.batch_size = 8;
    c.val_batch_size = 8;
    c.max_epochs = 2;
    c.threads = 1;
    return c;
  }
  throw ConfigError(
      fmt::format("unknown preset '{}' (known: reference, time-to-target, demo, smoke)", name));
}

std::string brats_preset_source(const std::string& preset) {
  constexpr const char* hab =
      "HabanaAI/Model-References@2be6044 PyTorch/computer_vision/segmentation/Unet main.py + "
      "utils/utils.py defaults, the seed's command (README recipe)";
  if (preset == "reference") return hab;
  if (preset == "time-to-target") {
    return fmt::format("{}; stopping at mean Dice 0.73 instead of early stopping (segbench)", hab);
  }
  return "segbench preset (no reference counterpart: reduced model and data)";
}

int64_t slices_per_volume(const BratsConfig& c) {
  return c.batch_size / c.nvol;
}

void validate(const BratsConfig& c) {
  SEGBENCH_CHECK(!c.data_dir.empty() || c.dry_run, ConfigError, "--data_dir is required");
  SEGBENCH_CHECK(c.nfolds >= 2 && c.fold >= 0 && c.fold < c.nfolds, ConfigError,
                 "--fold must be in 0..{} for --nfolds {}, got {}", c.nfolds - 1, c.nfolds, c.fold);
  SEGBENCH_CHECK(c.patch[0] >= 8 && c.patch[1] >= 8, ConfigError,
                 "--patch must be at least 8×8, got {}×{}", c.patch[0], c.patch[1]);
  SEGBENCH_CHECK(c.max_epochs >= 1 && c.min_epochs >= 0, ConfigError,
                 "--max_epochs must be >= 1 and --min_epochs >= 0, got {} / {}", c.max_epochs,
                 c.min_epochs);
  SEGBENCH_CHECK(c.batch_size >= 1 && c.nvol >= 1 && c.batch_size % c.nvol == 0, ConfigError,
                 "--batch_size ({}) must be a positive multiple of --nvol ({})", c.batch_size,
                 c.nvol);
  SEGBENCH_CHECK(c.val_batch_size >= 1, ConfigError, "--val_batch_size must be >= 1, got {}",
                 c.val_batch_size);
  SEGBENCH_CHECK(c.optimizer == "adamw" || c.optimizer == "adam" || c.optimizer == "sgd",
                 ConfigError, "--optimizer must be adamw, fusedadamw, adam or sgd, got '{}'{}",
                 c.optimizer,
                 c.optimizer == "radam" ? " (RAdam is not in LibTorch; DLE21's default)" : "");
  SEGBENCH_CHECK(c.scheduler == "none" || c.scheduler == "multistep" || c.scheduler == "cosine" ||
                     c.scheduler == "plateau",
                 ConfigError, "--scheduler must be none, multistep, cosine or plateau, got '{}'",
                 c.scheduler);
  SEGBENCH_CHECK(c.norm == "instance" || c.norm == "batch" || c.norm == "group", ConfigError,
                 "--norm must be instance, batch or group, got '{}'", c.norm);
  SEGBENCH_CHECK(c.amp == "auto" || c.amp == "bf16" || c.amp == "fp32", ConfigError,
                 "--amp must be auto, bf16 or fp32, got '{}'", c.amp);
  SEGBENCH_CHECK(c.oversampling >= 0 && c.oversampling <= 1, ConfigError,
                 "--oversampling must be in [0, 1], got {}", c.oversampling);
  SEGBENCH_CHECK(c.dist_timeout > 0, ConfigError, "--dist_timeout must be > 0 s, got {}",
                 c.dist_timeout);
  SEGBENCH_CHECK(c.quality_target >= 0 && c.quality_target <= 1, ConfigError,
                 "--quality_target must be in [0, 1] (0 = none), got {}", c.quality_target);
}

namespace {

// HAB main.py flags that segbench has no setting of its own for (fidelity §3.7).
struct HabFlags {
  std::string results, logname, task = "01", affinity = "disabled", exec_mode = "train";
  std::string hmp_bf16, hmp_fp32, hmp_opt_level = "O1";
  int64_t hpus = 0, gpus = 0, dim = 2, bucket_cap_mb = 125;
  double gradient_clip_val = 0.0;
  bool run_lazy_mode = false, hmp = false, hmp_verbose = false;
};

void add_hab_flags(CLI::App& app, BratsConfig& c, HabFlags& h) {
  const std::string group = "HAB main.py flags (mapped to segbench settings, with a note)";
  app.add_option("--results", h.results, "results directory: the log goes there (--log_dir)")
      ->group(group);
  app.add_option("--logname", h.logname, "ignored (HAB's DLLogger file name)")->group(group);
  app.add_option("--task", h.task, "01 only (MSD Task01 BrainTumour)")->group(group);
  app.add_option("--hpus", h.hpus, "ignored: no Habana devices; see --device")->group(group);
  app.add_option("--gpus", h.gpus, "N > 0: --device cuda (ranks come from the launcher)")
      ->group(group);
  app.add_option("--affinity", h.affinity, "ignored: bind CPUs with the launcher")->group(group);
  app.add_option("--dim", h.dim, "2 only")->group(group);
  app.add_option("--exec_mode", h.exec_mode, "train only")->group(group);
  app.add_flag("--run_lazy_mode", h.run_lazy_mode, "ignored (Habana graph mode)")->group(group);
  app.add_flag("--hmp", h.hmp, "bf16 mixed precision: --amp bf16")->group(group);
  app.add_option("--hmp-bf16", h.hmp_bf16, "ignored: autocast picks the bf16 ops")->group(group);
  app.add_option("--hmp-fp32", h.hmp_fp32, "ignored: autocast picks the fp32 ops")->group(group);
  app.add_option("--hmp-opt-level", h.hmp_opt_level, "ignored")->group(group);
  app.add_flag("--hmp-verbose", h.hmp_verbose, "ignored")->group(group);
  app.add_option("--bucket_cap_mb", h.bucket_cap_mb, "ignored: 25 MB buckets")->group(group);
  app.add_option("--gradient_clip_val", h.gradient_clip_val, "0 only (no clipping)")->group(group);
  app.add_flag("--benchmark", c.benchmark, "HAB's throughput mode (dry run only)")->group(group);
  app.add_option("--warmup", c.warmup, "benchmark: steps before timing")->group(group);
  app.add_option("--train_batches", c.train_batches, "benchmark: steps per epoch")->group(group);
  app.add_option("--test_batches", c.test_batches, "benchmark: inference steps")->group(group);
}

void map_hab_flags(const CLI::App& app, const HabFlags& h, BratsConfig& c) {
  const auto given = [&app](const char* flag) { return app.count(flag) > 0; };
  SEGBENCH_CHECK(h.task == "01", ConfigError,
                 "--task {}: only MSD Task01 (BrainTumour, --task 01) is implemented", h.task);
  SEGBENCH_CHECK(h.dim == 2, ConfigError, "--dim {}: only the 2-D nnU-Net is implemented", h.dim);
  SEGBENCH_CHECK(h.exec_mode == "train", ConfigError,
                 "--exec_mode {}: only train is implemented (validation runs every epoch)",
                 h.exec_mode);
  SEGBENCH_CHECK(h.gradient_clip_val == 0.0, ConfigError,
                 "--gradient_clip_val {}: gradient clipping is not implemented",
                 h.gradient_clip_val);
  SEGBENCH_CHECK(!(h.hpus > 0 && h.gpus > 0), ConfigError,
                 "--hpus {} --gpus {}: cannot use both (as main.py)", h.hpus, h.gpus);
  if (!h.results.empty()) {
    if (!given("--log_dir")) c.log_dir = h.results;
    c.notes.push_back(
        fmt::format("--results {}: the log goes to {}/unet2d_brats.log (MLLOG "
                    "lines; no DLLogger logs.json)",
                    h.results, c.log_dir.string()));
  }
  if (given("--logname")) c.notes.push_back("--logname ignored (HAB's DLLogger file name)");
  if (given("--hpus")) {
    c.notes.push_back(
        fmt::format("--hpus {}: no Habana devices; the run uses --device {} and "
                    "one process per rank from the launcher (srun, mpirun, torchrun)",
                    h.hpus, c.device));
  }
  if (h.gpus > 0) {
    if (c.device == "auto") c.device = "cuda";
    c.notes.push_back(fmt::format("--gpus {}: --device {}; start {} process(es) with the launcher",
                                  h.gpus, c.device, h.gpus));
  } else if (given("--gpus")) {
    c.notes.push_back("--gpus 0: no GPU requested by this flag (--device decides)");
  }
  if (given("--affinity")) {
    c.notes.push_back(
        h.affinity == "disabled"
            ? "--affinity disabled: no CPU binding (bind with the launcher)"
            : fmt::format("--affinity {} ignored: bind CPUs with the launcher", h.affinity));
  }
  if (given("--dim")) c.notes.push_back("--dim 2: the 2-D nnU-Net");
  if (given("--exec_mode")) c.notes.push_back("--exec_mode train: training with validation");
  if (h.run_lazy_mode) c.notes.push_back("--run_lazy_mode ignored (Habana graph mode)");
  if (h.hmp) {
    c.amp = "bf16";
    c.notes.push_back(
        "--hmp: bf16 autocast (--amp bf16); on a CPU it runs too, faster only with AMX-BF16");
  }
  if (given("--hmp-bf16") || given("--hmp-fp32") || given("--hmp-opt-level") || h.hmp_verbose) {
    c.notes.push_back("--hmp-bf16/--hmp-fp32 op lists ignored: autocast picks each op's precision");
  }
  if (given("--bucket_cap_mb")) c.notes.push_back("--bucket_cap_mb ignored: 25 MB buckets");
  if (c.optimizer == "fusedadamw") {
    c.optimizer = "adamw";
    c.notes.push_back("--optimizer fusedadamw: torch AdamW (eps 1e-8, weight decay as given)");
  }
  if (c.benchmark) {
    c.notes.push_back(fmt::format(
        "--benchmark: HAB's throughput mode ({} epochs of {} steps, timing after {} warm-up "
        "steps, no validation) is not implemented: a run refuses it",
        c.max_epochs, c.train_batches, c.warmup));
  }
}

}  // namespace

BratsConfig parse_brats_cli(int argc, const char* const* argv) {
  BratsConfig c = brats_preset(cli::find_preset(argc, argv, "reference"));
  CLI::App app{"nnU-Net 2D U-Net on BraTS / MSD Task01 (segbench)", "unet2d_brats"};
  std::string preset = c.preset;
  app.add_option("--preset", preset, "reference | time-to-target | demo | smoke")
      ->capture_default_str();
  app.add_option("--data_dir,--data", c.data_dir, "preprocessed BRATS_XXX_{x,y}.npy directory");
  app.add_option("--log_dir", c.log_dir, "log directory (unet2d_brats.log)");
  app.add_option("--save_ckpt_path", c.save_ckpt_path, "checkpoint file written at the end");
  app.add_option("--load_ckpt_path,--resume", c.load_ckpt_path, "resume from this checkpoint");
  app.add_option("--checkpoint_every", c.checkpoint_every)->capture_default_str();
  app.add_option("--nfolds", c.nfolds)->capture_default_str();
  app.add_option("--fold", c.fold, "validation fold")->capture_default_str();
  cli::add_array_option(app, "--patch", c.patch, "slice size H W (as preprocessed)");
  app.add_option("--filters", c.filters, "channels per stage (default: nnU-Net's rule)");
  app.add_flag("--deep_supervision,!--no-deep_supervision", c.deep_supervision);
  app.add_option("--norm", c.norm, "instance | batch | group")->capture_default_str();
  app.add_option("--negative_slope", c.negative_slope)->capture_default_str();
  app.add_flag("--fast_upsample,!--no-fast_upsample", c.fast_upsample,
               "up-sample with 1x1 conv + depth-to-space (same parameters as ConvTranspose2d)");
  app.add_option("--max_epochs", c.max_epochs)->capture_default_str();
  app.add_option("--min_epochs", c.min_epochs)->capture_default_str();
  app.add_option("--patience", c.patience, "early stopping: evaluations")->capture_default_str();
  app.add_flag("--early_stopping,!--no-early_stopping", c.early_stopping,
               "the reference's stopping rule (on in the reference preset)");
  app.add_option("--quality_target", c.quality_target, "mean Dice that ends the run (0 = none)")
      ->capture_default_str();
  app.add_option("--batch_size", c.batch_size, "slices per step")->capture_default_str();
  app.add_option("--nvol", c.nvol, "volumes per step")->capture_default_str();
  app.add_option("--val_batch_size", c.val_batch_size)->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "adamw | fusedadamw (= adamw) | adam | sgd")
      ->capture_default_str();
  app.add_option("--learning_rate", c.learning_rate)->capture_default_str();
  app.add_option("--momentum", c.momentum, "sgd only")->capture_default_str();
  app.add_option("--weight_decay", c.weight_decay)->capture_default_str();
  cli::add_array_option(app, "--betas", c.betas, "beta1 beta2");
  app.add_option("--eps", c.eps)->capture_default_str();
  app.add_option("--scheduler", c.scheduler, "none | multistep | cosine | plateau")
      ->capture_default_str();
  app.add_option("--steps", c.steps, "multistep milestones (epochs)");
  app.add_option("--factor", c.factor)->capture_default_str();
  app.add_option("--lr_patience", c.lr_patience)->capture_default_str();
  app.add_option("--oversampling", c.oversampling)->capture_default_str();
  app.add_flag("--augment,!--no-augment", c.augment);
  app.add_option("--num_workers", c.num_workers)->capture_default_str();
  app.add_flag("--cache_dataset,!--no-cache_dataset", c.cache_dataset);
  cli::add_runtime_options(app, c);
  HabFlags hab;
  add_hab_flags(app, c, hab);
  cli::parse_or_throw(app, argc, argv);
  map_hab_flags(app, hab, c);
  validate(c);
  return c;
}

nlohmann::json to_json(const BratsConfig& c) {
  return {{"preset", c.preset},
          {"reference_source", brats_preset_source(c.preset)},
          {"notes", c.notes},
          {"data_dir", c.data_dir.string()},
          {"log_dir", c.log_dir.string()},
          {"save_ckpt_path", c.save_ckpt_path.string()},
          {"load_ckpt_path", c.load_ckpt_path.string()},
          {"checkpoint_every", c.checkpoint_every},
          {"nfolds", c.nfolds},
          {"fold", c.fold},
          {"patch", c.patch},
          {"filters", c.filters},
          {"deep_supervision", c.deep_supervision},
          {"norm", c.norm},
          {"negative_slope", c.negative_slope},
          {"fast_upsample", c.fast_upsample},
          {"max_epochs", c.max_epochs},
          {"min_epochs", c.min_epochs},
          {"patience", c.patience},
          {"early_stopping", c.early_stopping},
          {"quality_target", c.quality_target},
          {"batch_size", c.batch_size},
          {"nvol", c.nvol},
          {"val_batch_size", c.val_batch_size},
          {"optimizer", c.optimizer},
          {"learning_rate", c.learning_rate},
          {"momentum", c.momentum},
          {"weight_decay", c.weight_decay},
          {"betas", c.betas},
          {"eps", c.eps},
          {"scheduler", c.scheduler},
          {"steps", c.steps},
          {"factor", c.factor},
          {"lr_patience", c.lr_patience},
          {"amp", c.amp},
          {"channels_last", c.channels_last},
          {"tf32", c.tf32},
          {"deterministic", c.deterministic},
          {"oversampling", c.oversampling},
          {"augment", c.augment},
          {"num_workers", c.num_workers},
          {"cache_dataset", c.cache_dataset},
          {"device", c.device},
          {"dist", c.dist},
          {"dist_timeout", c.dist_timeout},
          {"grad_sync", c.grad_sync},
          {"seed", c.seed},
          {"threads", c.threads},
          {"benchmark", c.benchmark},
          {"warmup", c.warmup},
          {"train_batches", c.train_batches},
          {"test_batches", c.test_batches}};
}

}  // namespace segbench
