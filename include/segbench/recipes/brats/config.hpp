// Everything one nnU-Net 2D BraTS run needs, as plain data (no torch), plus the named presets
// and the command line that overrides them (fidelity §3.4–§3.8).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segbench {

struct BratsConfig {
  std::string preset = "reference";

  // Paths: the preprocessed directory (BRATS_XXX_{x,y}.npy + config.json).
  std::filesystem::path data_dir;
  std::filesystem::path log_dir;  ///< MLLOG-style log `<log_dir>/unet2d_brats.log`
  std::filesystem::path save_ckpt_path;
  std::filesystem::path load_ckpt_path;
  int64_t checkpoint_every = 0;
  int keep_checkpoints = 2;             ///< in a checkpoint directory
  double checkpoint_every_minutes = 0;  ///< also at an iteration boundary every M min
  int64_t skip_nonfinite = 0;           ///< non-finite steps skipped before the run stops
  int64_t nfolds = 5;
  int64_t fold = 0;

  // Model (fidelity §3.5): filters empty = nnU-Net's min(2^(5+i), 512) for the patch.
  std::array<int64_t, 2> patch{192, 160};
  std::vector<int64_t> filters;
  bool deep_supervision = true;
  std::string norm = "instance";  ///< instance | batch | group
  double negative_slope = 0.01;
  bool fast_upsample = true;

  // Optimisation (fidelity §3.6, §3.7).
  int64_t max_epochs = 10000;
  int64_t min_epochs = 30;
  int64_t patience = 100;       ///< early stopping on dice_sum (evaluations)
  bool early_stopping = true;   ///< the reference's rule; off: stop at the target or max_epochs
  double quality_target = 0.0;  ///< mean Dice that ends the run; 0 = none (the reference)
  int64_t batch_size = 64;      ///< slices per step (nvol volumes × batch/nvol slices)
  int64_t nvol = 1;
  int64_t val_batch_size = 64;      ///< slices per validation forward
  std::string optimizer = "adamw";  ///< adamw | adam | sgd (momentum, no Nesterov, no decay)
  double learning_rate = 1e-3;
  double momentum = 0.99;  ///< sgd only
  double weight_decay = 1e-4;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  std::string scheduler = "none";  ///< none | multistep | cosine | plateau (on the val loss)
  std::vector<int64_t> steps;      ///< multistep milestones (epochs)
  double factor = 0.3;
  int64_t lr_patience = 70;  ///< plateau: evaluations without improvement
  std::string amp = "auto";  ///< auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp32
  bool channels_last = false;
  bool tf32 = false;
  bool deterministic = false;  ///< --deterministic (CUDA)

  // Data pipeline (fidelity §3.4).
  double oversampling = 0.33;
  bool augment = true;
  int64_t num_workers = 2;
  bool cache_dataset = true;

  // Runtime.
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  std::string dist = "auto";
  int64_t dist_timeout = 60;
  std::string grad_sync = "after_backward";  ///< after_backward | overlap (with backward)
  int64_t seed = 1;
  int64_t threads = 0;
  bool dry_run = false;

  // HAB's throughput mode (--benchmark): resolved for the dry run, refused by a run.
  bool benchmark = false;
  int64_t warmup = 5;         ///< steps before timing starts
  int64_t train_batches = 0;  ///< steps per epoch (0 = all)
  int64_t test_batches = 0;

  /// One line each: reference flags mapped or ignored, the target extension. Printed by the
  /// driver (rank 0) and the dry run.
  std::vector<std::string> notes;
};

/// "reference" (the default: the seed's HAB command and main.py defaults, stopping as it does:
/// early stopping on the Dice sum, patience 100, at least 30 epochs, no quality target),
/// "time-to-target" (the same, stopping at mean Dice 0.73 instead: a segbench extension),
/// "demo" (small synthetic volumes, mean Dice 0.90 in minutes on 2 cores), "smoke" (seconds).
BratsConfig brats_preset(const std::string& name);

/// Where the preset's values come from (upstream files and commit), for the dry run.
std::string brats_preset_source(const std::string& preset);

BratsConfig parse_brats_cli(int argc, const char* const* argv);
void validate(const BratsConfig& config);
nlohmann::json to_json(const BratsConfig& config);

/// Slices taken from each volume in one step: batch_size / nvol.
int64_t slices_per_volume(const BratsConfig& config);

}  // namespace segbench
