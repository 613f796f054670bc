// Everything one 3D U-Net KiTS19 run needs, as plain data (no torch), plus the named
// presets and the command line that overrides them.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segbench {

struct Unet3dConfig {
  std::string preset = "baseline";

  // Paths: the reference presets default to the reference's data directory.
  std::filesystem::path data_dir;        ///< preprocessed case_XXXXX_{x,y}.npy
  std::filesystem::path log_dir;         ///< MLLOG file `<log_dir>/unet3d.log` ("" = no file)
  std::filesystem::path save_ckpt_path;  ///< written atomically at the end (and every N epochs)
  std::filesystem::path load_ckpt_path;  ///< --resume: continue from this checkpoint
  int64_t checkpoint_every = 0;          ///< epochs between checkpoints (0 = only at the end)
  int keep_checkpoints = 2;              ///< in a checkpoint directory
  double checkpoint_every_minutes = 0;   ///< also at an iteration boundary every M min
  int64_t skip_nonfinite = 0;            ///< non-finite steps skipped before the run stops

  // Model (fidelity §1.3); `filters` sets width and depth.
  std::vector<int64_t> filters{32, 64, 128, 256, 320};
  std::string normalization = "instancenorm";
  std::string activation = "relu";
  bool fast_upsample = true;

  // Optimisation (fidelity §1.5, runtime/arguments.py defaults).
  int64_t epochs = 1;
  double quality_threshold = 0.908;
  int64_t batch_size = 2;
  int64_t ga_steps = 1;
  std::string optimizer = "sgd";  ///< sgd (Nesterov) | adam | lamb
  double learning_rate = 1.0;
  double init_learning_rate = 1e-4;
  int64_t lr_warmup_epochs = 0;
  std::vector<int64_t> lr_decay_epochs;
  double lr_decay_factor = 1.0;
  double momentum = 0.9;
  double weight_decay = 0.0;
  std::array<double, 2> lamb_betas{0.9, 0.999};
  int64_t evaluate_every = 0;  ///< 0 = ceil(20·168 / samples_per_epoch)
  int64_t start_eval_at = 0;   ///< 0 = ceil(1000·168 / samples_per_epoch)

  // Data pipeline (fidelity §1.6, §1.7).
  std::array<int64_t, 3> input_shape{128, 128, 128};
  std::array<int64_t, 3> val_input_shape{128, 128, 128};
  double oversampling = 0.4;
  double overlap = 0.5;
  bool brightness_quirk = true;  ///< reference multiplies by 1+U(0.7,1.3) (fidelity §1.10)
  int64_t num_workers = 2;
  bool cache_dataset = false;
  int64_t windows_per_batch = 1;

  // Distributed (ranks come from the launcher: Slurm, mpirun, torchrun-style env).
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  std::string amp = "fp32";     ///< bf16 | fp32 | auto (bf16 on CUDA); not yet measured on a GPU
  bool channels_last = false;
  bool tf32 = false;
  bool deterministic = false;  ///< --deterministic (CUDA)
  std::string dist = "auto";   ///< auto | none | gloo | mpi | nccl
  int64_t dist_timeout = 60;   ///< seconds: a dead or missing rank fails the others within it
  std::string grad_sync = "after_backward";  ///< after_backward | overlap (with backward)

  // Reproducibility and runtime.
  int64_t seed = -1;    ///< -1 = draw from std::random_device
  int64_t threads = 0;  ///< torch intra-op threads (0 = leave the default)
  bool dry_run = false;

  // MLPerf submission block.
  std::string submission_org = "segbench";
  std::string submission_platform = "";  ///< "" = derived from the machine
  std::string submission_status = "research";
  std::string submission_division = "auto";  ///< auto: closed only on verified official data

  /// One line each: reference flags accepted but mapped or ignored, preset aliases. Printed by
  /// the driver (rank 0) and the dry run.
  std::vector<std::string> notes;
};

/// Named starting points: "baseline" (the default: the seed's NREL ESIF-HPC-4 as-is test, REF3D
/// run_and_time.sh flags with --start_eval_at 500, data in ./data), "mlcommons" (REF3D
/// run_and_time.sh itself: --start_eval_at 1000, data in /data), "demo" (small synthetic run
/// that reaches the target in minutes on 2 cores), "smoke" (seconds; for tests). "reference"
/// is an alias of "baseline".
Unet3dConfig unet3d_preset(const std::string& name);
std::vector<std::string> unet3d_preset_names();

/// Where the preset's values come from (upstream file and commit), for the dry run.
std::string unet3d_preset_source(const std::string& preset);

/// The reference command line (`main.py` of REF3D) this configuration corresponds to: the
/// run_and_time.sh flags in their order, then every other reference flag whose value differs
/// from REF3D's runtime/arguments.py default. Settings the reference does not have (model
/// width, segbench extensions) are not in it.
std::string unet3d_reference_command(const Unet3dConfig& config);

/// Preset chosen by --preset, then every other flag given on the command line overrides it.
/// Throws ConfigError on bad values. `--help` prints usage and exits.
Unet3dConfig parse_unet3d_cli(int argc, const char* const* argv);

/// Validates cross-field constraints (shapes, batch sizes, ...). Throws ConfigError.
void validate(const Unet3dConfig& config);

nlohmann::json to_json(const Unet3dConfig& config);

/// fidelity §1.8 defaults for an unset (0) evaluate_every / start_eval_at.
int64_t default_evaluate_every(int64_t samples_per_epoch);
int64_t default_start_eval_at(int64_t samples_per_epoch);

}  // namespace segbench
