// Everything one DeepCAM (MLPerf HPC) run needs, as plain data (no torch), plus the named
// presets, the command line, and which hyperparameters the HPC rules let a closed-division
// submission change.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segbench {

struct DeepcamConfig {
  std::string preset = "baseline";

  // Paths (fidelity §2.1): <data_dir>/train/*.h5, validation/*.h5, stats.h5 (or the converted
  // .npy layout with --data_format npy). MLLOG goes to <output_dir>/logs/<run_tag>.log.
  std::filesystem::path data_dir;
  std::string data_format = "hdf5";  ///< hdf5 | npy
  std::filesystem::path output_dir;
  std::filesystem::path log_dir;  ///< "" = OUTPUT_DIR/logs (the reference's place)
  std::string run_tag = "deepcam";
  std::filesystem::path save_ckpt_path;
  std::filesystem::path load_ckpt_path;
  int64_t checkpoint_every = 0;         ///< epochs (0 = only at the end); --save_frequency
  int keep_checkpoints = 2;             ///< in a checkpoint directory
  double checkpoint_every_minutes = 0;  ///< also at an iteration boundary every M min
  int64_t skip_nonfinite = 0;           ///< non-finite steps skipped before the run stops
  std::string model_prefix = "model";   ///< accepted (the reference's checkpoint file prefix)
  /// Iterations between train_loss / train_accuracy / learning_rate events (0: only at the end
  /// of each epoch; the reference also logs at every epoch's end when N > 0).
  int64_t logging_frequency = 0;

  // Model and data (fixed in the closed division).
  double width = 1.0;  ///< scales every channel count of DeepLabv3+ (demo only)
  std::vector<int64_t> channels{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  double target_iou = 0.82;
  bool corrected_iou = false;  ///< IoU without the background class (logged; open only)

  // Optimisation (fidelity §2.4; mutable in the closed division unless noted).
  int64_t max_epochs = 200;
  int64_t local_batch_size = 8;
  /// > 0 (the rcp-* presets, --global_batch_size): the global batch is fixed and the local
  /// batch is derived from it, global / (ranks × gradient_accumulation_frequency).
  int64_t global_batch_size = 0;
  int64_t gradient_accumulation_frequency = 1;
  std::string optimizer = "AdamW";  ///< Adam | AdamW | LAMB
  double start_lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-6;  ///< fixed by the rules
  double weight_decay = 1e-2;
  double max_grad_norm = 1.0;             ///< LAMB's global clip (Apex FusedLAMB default)
  std::string lr_schedule = "multistep";  ///< none | multistep | cosine_annealing
  std::vector<int64_t> lr_milestones{1200};
  double lr_decay_rate = 0.5;
  int64_t lr_t_max = 0;
  double lr_eta_min = 0.0;
  int64_t lr_warmup_steps = 0;
  double lr_warmup_factor = 1.0;
  bool corrected_schedule = false;  ///< warm-up reaches start_lr (open only)
  int64_t batchnorm_group_size = 1;

  // Runtime.
  int64_t num_workers = 4;      ///< --max_inter_threads; loader threads = min(this, local batch)
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  std::string amp = "fp32";     ///< bf16 | fp32 | auto (bf16 on CUDA); not yet measured on a GPU
  bool channels_last = false;
  bool tf32 = false;
  bool deterministic = false;  ///< --deterministic (CUDA)
  std::string dist = "auto";
  int64_t dist_timeout = 60;
  std::string grad_sync = "after_backward";  ///< after_backward | overlap (with backward)
  int64_t seed = 333;                        ///< -1 = draw from std::random_device
  int64_t threads = 0;
  bool dry_run = false;
  std::string wireup_method;  ///< the reference's flag as given ("" = not given)

  /// One line per reference flag that segbench maps, resolves or ignores (printed on stderr
  /// by the driver's rank 0). Not part of to_json().
  std::vector<std::string> notes{};

  std::string submission_org = "segbench";
  std::string submission_platform = "";
  std::string submission_status = "research";
  std::string submission_division = "auto";  ///< auto: closed only on the real dataset sizes
};

/// "baseline" (the NREL seed command, the default; "reference" is an alias), "mlcommons"
/// (MLCommons HPC run_training.sh), "rcp-128" … "rcp-2048" (the HPC 3.0.0 reference convergence
/// points, rcp.hpp), "demo" (reduced width and resolution, reaches IoU 0.82 in minutes on 2
/// cores), "smoke" (seconds; tests). ConfigError naming the known presets otherwise.
DeepcamConfig deepcam_preset(const std::string& name);

/// Every preset name deepcam_preset() knows.
std::vector<std::string> deepcam_preset_names();

/// Which reference command or file a preset reproduces, and with which values (the dry run
/// prints these lines).
std::vector<std::string> deepcam_preset_provenance(const DeepcamConfig& config);

/// Preset from --preset, then the other flags override it, the reference's own flags
/// (--lr_schedule type=...,milestones=...,decay_rate=..., --wireup_method, --model_prefix, ...)
/// included; then the local batch is resolved for `world_size` ranks. ConfigError on bad values.
DeepcamConfig parse_deepcam_cli_for_world(int argc, const char* const* argv, int world_size);

/// As above for the world size of the launch environment (discover_launch_env()); prints the
/// notes on stderr on rank 0.
DeepcamConfig parse_deepcam_cli(int argc, const char* const* argv);

/// The reference's --lr_schedule value, `type=multistep,milestones=800 1200,decay_rate=0.1` or
/// `type=cosine_annealing,t_max=9000,eta_min=0.0` (quotes around values are removed), or a
/// bare type name (none | multistep | cosine_annealing), applied to `config`. ConfigError
/// naming the value otherwise.
void apply_lr_schedule_argument(DeepcamConfig& config, const std::string& value);

/// With global_batch_size > 0: local_batch_size = global / (world_size × gradient accumulation),
/// a ConfigError when it does not divide.
void resolve_deepcam_batch(DeepcamConfig& config, int world_size);

/// The MLLOG file: LOG_DIR (or OUTPUT_DIR/logs) / RUN_TAG.log; "" (stdout only) when neither
/// directory is set.
std::filesystem::path deepcam_log_file(const DeepcamConfig& config);

void validate(const DeepcamConfig& config);
nlohmann::json to_json(const DeepcamConfig& config);

/// The fixed hyperparameters (HPC rules) that differ from the reference, as
/// "name: value (reference value)" lines; empty when a closed run is allowed.
std::vector<std::string> changed_fixed_hyperparameters(const DeepcamConfig& config);

}  // namespace segbench
