#include "segbench/recipes/deepcam/config.hpp"

#include <fmt/ranges.h>

#include "segbench/error.hpp"
#include "segbench/recipes/common/cli.hpp"

namespace segbench {

DeepcamConfig deepcam_preset(const std::string& name) {
  DeepcamConfig c;
  c.preset = name;
  if (name == "reference") return c;  // the struct's defaults are the seed's baseline
  if (name == "demo") {
    // Synthetic CAM5 at reduced resolution with a narrow network: a few minutes on 2 cores.
    c.width = 0.125;
    c.max_epochs = 40;
    c.local_batch_size = 4;
    c.optimizer = "Adam";
    c.start_lr = 2e-3;
    c.weight_decay = 1e-6;
    c.lr_schedule = "none";
    c.lr_milestones.clear();
    c.num_workers = 1;
    c.threads = 2;
    c.seed = 1;
    return c;
  }
  if (name == "smoke") {
    c = deepcam_preset("demo");
    c.preset = name;
    c.width = 0.0625;
    c.max_epochs = 2;
    c.local_batch_size = 2;
    c.threads = 1;
    return c;
  }
  throw ConfigError(fmt::format("unknown preset '{}' (known: reference, demo, smoke)", name));
}

void validate(const DeepcamConfig& c) {
  SEGBENCH_CHECK(!c.data_dir.empty() || c.dry_run, ConfigError, "--data_dir is required");
  SEGBENCH_CHECK(c.data_format == "hdf5" || c.data_format == "npy", ConfigError,
                 "--data_format must be hdf5 or npy, got '{}'", c.data_format);
  SEGBENCH_CHECK(c.width > 0 && c.width <= 1, ConfigError, "--width must be in (0, 1], got {}",
                 c.width);
  SEGBENCH_CHECK(!c.channels.empty(), ConfigError, "--channels must name at least one channel");
  for (int64_t ch : c.channels) {
    SEGBENCH_CHECK(ch >= 0 && ch < 16, ConfigError, "--channels entries must be in 0..15, got {}",
                   ch);
  }
  SEGBENCH_CHECK(c.max_epochs >= 1, ConfigError, "--max_epochs must be >= 1, got {}", c.max_epochs);
  SEGBENCH_CHECK(c.local_batch_size >= 1, ConfigError, "--local_batch_size must be >= 1, got {}",
                 c.local_batch_size);
  SEGBENCH_CHECK(c.gradient_accumulation_frequency >= 1, ConfigError,
                 "--gradient_accumulation_frequency must be >= 1, got {}",
                 c.gradient_accumulation_frequency);
  SEGBENCH_CHECK(c.optimizer == "Adam" || c.optimizer == "AdamW" || c.optimizer == "LAMB",
                 ConfigError, "--optimizer must be Adam, AdamW or LAMB, got '{}'", c.optimizer);
  SEGBENCH_CHECK(c.start_lr > 0, ConfigError, "--start_lr must be > 0, got {}", c.start_lr);
  SEGBENCH_CHECK(c.lr_schedule == "none" || c.lr_schedule == "multistep" ||
                     c.lr_schedule == "cosine_annealing",
                 ConfigError, "--lr_schedule must be none, multistep or cosine_annealing, got '{}'",
                 c.lr_schedule);
  SEGBENCH_CHECK(c.lr_schedule != "cosine_annealing" || c.lr_t_max >= 1, ConfigError,
                 "--lr_t_max must be >= 1 for cosine_annealing, got {}", c.lr_t_max);
  SEGBENCH_CHECK(c.lr_warmup_steps >= 0 && c.lr_warmup_factor >= 1, ConfigError,
                 "--lr_warmup_steps must be >= 0 and --lr_warmup_factor >= 1, got {} / {}",
                 c.lr_warmup_steps, c.lr_warmup_factor);
  // 1: every rank normalises its own batch; > 1: statistics synchronised over groups of that
  // many consecutive ranks (checked against the world size when the groups form).
  SEGBENCH_CHECK(c.batchnorm_group_size >= 1, ConfigError,
                 "--batchnorm_group_size must be >= 1, got {}", c.batchnorm_group_size);
  SEGBENCH_CHECK(c.dist_timeout > 0, ConfigError, "--dist_timeout must be > 0 s, got {}",
                 c.dist_timeout);
  SEGBENCH_CHECK(c.submission_division == "auto" || c.submission_division == "open" ||
                     c.submission_division == "closed",
                 ConfigError, "--submission_division must be auto, open or closed, got '{}'",
                 c.submission_division);
  if (c.submission_division == "closed") {
    const auto changed = changed_fixed_hyperparameters(c);
    SEGBENCH_CHECK(changed.empty(), ConfigError,
                   "--submission_division closed, but the HPC rules fix these hyperparameters "
                   "and they differ from the reference: {}",
                   fmt::join(changed, "; "));
  }
}

std::vector<std::string> changed_fixed_hyperparameters(const DeepcamConfig& c) {
  const DeepcamConfig reference;
  std::vector<std::string> changed;
  const auto check = [&](bool same, const std::string& what) {
    if (!same) changed.push_back(what);
  };
  check(c.width == reference.width, fmt::format("width {} (1)", c.width));
  check(c.channels == reference.channels,
        fmt::format("channels [{}] (all 16)", fmt::join(c.channels, ",")));
  check(c.target_iou == reference.target_iou, fmt::format("target_iou {} (0.82)", c.target_iou));
  check(c.eps == reference.eps, fmt::format("eps {} (1e-6)", c.eps));
  check(!c.corrected_iou, "corrected_iou true (false)");
  check(!c.corrected_schedule, "corrected_schedule true (false)");
  check(c.optimizer != "LAMB" || c.max_grad_norm == 1.0,
        fmt::format("max_grad_norm {} (1.0)", c.max_grad_norm));
  return changed;
}

DeepcamConfig parse_deepcam_cli(int argc, const char* const* argv) {
  DeepcamConfig c = deepcam_preset(cli::find_preset(argc, argv, "reference"));
  CLI::App app{"MLPerf HPC DeepCAM on CAM5 climate data (segbench)", "deepcam_climate"};
  std::string preset = c.preset;
  app.add_option("--preset", preset, "reference | demo | smoke")->capture_default_str();
  app.add_option("--data_dir,--data_dir_prefix", c.data_dir,
                 "directory with train/, validation/ and stats.h5");
  app.add_option("--data_format", c.data_format, "hdf5 | npy (converted)")->capture_default_str();
  app.add_option("--output_dir", c.output_dir, "MLLOG goes to <output_dir>/logs/<run_tag>.log");
  app.add_option("--run_tag", c.run_tag)->capture_default_str();
  app.add_option("--save_ckpt_path", c.save_ckpt_path, "checkpoint file written at the end");
  app.add_option("--load_ckpt_path,--checkpoint,--resume", c.load_ckpt_path,
                 "resume from this checkpoint");
  app.add_option("--checkpoint_every,--save_frequency", c.checkpoint_every,
                 "epochs between checkpoints")
      ->capture_default_str();
  app.add_option("--width", c.width, "channel width multiplier (fixed: 1)")->capture_default_str();
  app.add_option("--channels", c.channels, "input channels (fixed: 0..15)")->capture_default_str();
  app.add_option("--target_iou", c.target_iou)->capture_default_str();
  app.add_flag("--corrected_iou", c.corrected_iou, "IoU over the event classes only (open)");
  app.add_option("--max_epochs", c.max_epochs)->capture_default_str();
  app.add_option("--local_batch_size", c.local_batch_size)->capture_default_str();
  app.add_option("--gradient_accumulation_frequency", c.gradient_accumulation_frequency)
      ->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "Adam | AdamW | LAMB")->capture_default_str();
  app.add_option("--start_lr", c.start_lr)->capture_default_str();
  cli::add_array_option(app, "--optimizer_betas", c.betas, "beta1 beta2");
  app.add_option("--eps,--adam_eps", c.eps, "fixed: 1e-6")->capture_default_str();
  app.add_option("--weight_decay", c.weight_decay)->capture_default_str();
  app.add_option("--max_grad_norm", c.max_grad_norm, "LAMB global clip")->capture_default_str();
  app.add_option("--lr_schedule", c.lr_schedule, "none | multistep | cosine_annealing")
      ->capture_default_str();
  app.add_option("--lr_milestones", c.lr_milestones, "multistep: optimizer steps")
      ->capture_default_str();
  app.add_option("--lr_decay_rate", c.lr_decay_rate)->capture_default_str();
  app.add_option("--lr_t_max", c.lr_t_max, "cosine_annealing: steps")->capture_default_str();
  app.add_option("--lr_eta_min", c.lr_eta_min)->capture_default_str();
  app.add_option("--lr_warmup_steps", c.lr_warmup_steps)->capture_default_str();
  app.add_option("--lr_warmup_factor", c.lr_warmup_factor)->capture_default_str();
  app.add_flag("--corrected_schedule", c.corrected_schedule,
               "warm-up reaches start_lr (the reference stops one step short; open)");
  app.add_option("--batchnorm_group_size", c.batchnorm_group_size)->capture_default_str();
  app.add_option("--num_workers,--max_inter_threads", c.num_workers, "data-loader threads")
      ->capture_default_str();
  cli::add_runtime_options(app, c);
  cli::add_submission_options(app, c);
  cli::parse_or_throw(app, argc, argv);
  validate(c);
  return c;
}

nlohmann::json to_json(const DeepcamConfig& c) {
  return {{"preset", c.preset},
          {"data_dir", c.data_dir.string()},
          {"data_format", c.data_format},
          {"output_dir", c.output_dir.string()},
          {"run_tag", c.run_tag},
          {"save_ckpt_path", c.save_ckpt_path.string()},
          {"load_ckpt_path", c.load_ckpt_path.string()},
          {"checkpoint_every", c.checkpoint_every},
          {"width", c.width},
          {"channels", c.channels},
          {"target_iou", c.target_iou},
          {"corrected_iou", c.corrected_iou},
          {"max_epochs", c.max_epochs},
          {"local_batch_size", c.local_batch_size},
          {"gradient_accumulation_frequency", c.gradient_accumulation_frequency},
          {"optimizer", c.optimizer},
          {"start_lr", c.start_lr},
          {"betas", c.betas},
          {"eps", c.eps},
          {"weight_decay", c.weight_decay},
          {"max_grad_norm", c.max_grad_norm},
          {"lr_schedule", c.lr_schedule},
          {"lr_milestones", c.lr_milestones},
          {"lr_decay_rate", c.lr_decay_rate},
          {"lr_t_max", c.lr_t_max},
          {"lr_eta_min", c.lr_eta_min},
          {"lr_warmup_steps", c.lr_warmup_steps},
          {"lr_warmup_factor", c.lr_warmup_factor},
          {"corrected_schedule", c.corrected_schedule},
          {"batchnorm_group_size", c.batchnorm_group_size},
          {"num_workers", c.num_workers},
          {"device", c.device},
          {"amp", c.amp},
          {"channels_last", c.channels_last},
          {"tf32", c.tf32},
          {"dist", c.dist},
          {"dist_timeout", c.dist_timeout},
          {"grad_sync", c.grad_sync},
          {"seed", c.seed},
          {"threads", c.threads},
          {"submission_org", c.submission_org},
          {"submission_platform", c.submission_platform},
          {"submission_status", c.submission_status},
          {"submission_division", c.submission_division},
          {"fixed_hyperparameters",
           {"width", "channels", "target_iou", "eps", "corrected_iou", "corrected_schedule",
            "max_grad_norm (LAMB)"}}};
}

}  // namespace segbench
