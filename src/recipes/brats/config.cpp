#include "segbench/recipes/brats/config.hpp"

#include "segbench/error.hpp"
#include "segbench/recipes/common/cli.hpp"

namespace segbench {

BratsConfig brats_preset(const std::string& name) {
  BratsConfig c;
  c.preset = name;
  if (name == "reference") return c;  // HAB README recipe: batch 64, AdamW 1e-3, DS, instance
  if (name == "demo") {
    // Synthetic MSD volumes preprocessed to 64×64 slices, a narrow network: minutes on 2 cores.
    c.patch = {64, 64};
    c.filters = {8, 16, 32, 64, 128};
    c.batch_size = 16;
    c.val_batch_size = 32;
    c.max_epochs = 60;
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
  throw ConfigError(fmt::format("unknown preset '{}' (known: reference, demo, smoke)", name));
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
                 ConfigError, "--optimizer must be adamw, adam or sgd, got '{}'", c.optimizer);
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
}

BratsConfig parse_brats_cli(int argc, const char* const* argv) {
  BratsConfig c = brats_preset(cli::find_preset(argc, argv, "reference"));
  CLI::App app{"nnU-Net 2D U-Net on BraTS / MSD Task01 (segbench)", "unet2d_brats"};
  std::string preset = c.preset;
  app.add_option("--preset", preset, "reference | demo | smoke")->capture_default_str();
  app.add_option("--data_dir", c.data_dir, "preprocessed BRATS_XXX_{x,y}.npy directory");
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
  app.add_flag("--early_stopping", c.early_stopping, "the reference's stopping rule");
  app.add_option("--quality_target", c.quality_target, "mean Dice")->capture_default_str();
  app.add_option("--batch_size", c.batch_size, "slices per step")->capture_default_str();
  app.add_option("--nvol", c.nvol, "volumes per step")->capture_default_str();
  app.add_option("--val_batch_size", c.val_batch_size)->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "adamw | adam | sgd")->capture_default_str();
  app.add_option("--learning_rate", c.learning_rate)->capture_default_str();
  app.add_option("--weight_decay", c.weight_decay)->capture_default_str();
  cli::add_array_option(app, "--betas", c.betas, "beta1 beta2");
  app.add_option("--eps", c.eps)->capture_default_str();
  app.add_option("--scheduler", c.scheduler, "none | multistep | cosine | plateau")
      ->capture_default_str();
  app.add_option("--steps", c.steps, "multistep milestones (epochs)");
  app.add_option("--factor", c.factor)->capture_default_str();
  app.add_option("--lr_patience", c.lr_patience)->capture_default_str();
  app.add_option("--amp", c.amp, "auto | bf16 | fp32")->capture_default_str();
  app.add_option("--oversampling", c.oversampling)->capture_default_str();
  app.add_flag("--augment,!--no-augment", c.augment);
  app.add_option("--num_workers", c.num_workers)->capture_default_str();
  app.add_flag("--cache_dataset,!--no-cache_dataset", c.cache_dataset);
  cli::add_runtime_options(app, c);
  cli::parse_or_throw(app, argc, argv);
  validate(c);
  return c;
}

nlohmann::json to_json(const BratsConfig& c) {
  return {{"preset", c.preset},
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
          {"weight_decay", c.weight_decay},
          {"betas", c.betas},
          {"eps", c.eps},
          {"scheduler", c.scheduler},
          {"steps", c.steps},
          {"factor", c.factor},
          {"lr_patience", c.lr_patience},
          {"amp", c.amp},
          {"oversampling", c.oversampling},
          {"augment", c.augment},
          {"num_workers", c.num_workers},
          {"cache_dataset", c.cache_dataset},
          {"device", c.device},
          {"dist", c.dist},
          {"dist_timeout", c.dist_timeout},
          {"grad_sync", c.grad_sync},
          {"seed", c.seed},
          {"threads", c.threads}};
}

}  // namespace segbench
