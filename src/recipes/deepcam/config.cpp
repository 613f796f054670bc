#include "segbench/recipes/deepcam/config.hpp"

#include <fmt/ranges.h>

#include <exception>
#include <iostream>
#include <type_traits>

#include "segbench/dist/launch_env.hpp"
#include "segbench/error.hpp"
#include "segbench/recipes/common/cli.hpp"
#include "segbench/recipes/deepcam/rcp.hpp"

namespace segbench {

namespace {

// The MLCommons HPC run_training.sh values (fidelity §2.4), shared by the mlcommons preset and,
// under the table's own values, the rcp-* presets.
DeepcamConfig mlcommons_preset() {
  DeepcamConfig c;
  c.optimizer = "LAMB";
  c.eps = 1e-6;  // --adam_eps 1e-6
  c.start_lr = 0.0055;
  c.lr_schedule = "multistep";
  c.lr_milestones = {800};
  c.lr_decay_rate = 0.1;
  c.lr_warmup_steps = 400;
  c.lr_warmup_factor = 1.0;
  c.weight_decay = 1e-2;
  c.logging_frequency = 10;
  c.checkpoint_every = 0;  // --save_frequency 0
  c.max_epochs = 200;
  c.num_workers = 4;  // --max_inter_threads 4
  c.batchnorm_group_size = 1;
  c.local_batch_size = 2;
  c.seed = -1;  // $(date +%s): a fresh seed per run
  return c;
}

// 128 for "rcp-128"; 0 when the name is not rcp-<integer>.
int64_t rcp_batch_of(const std::string& name) {
  if (!name.starts_with("rcp-")) return 0;
  try {
    std::size_t used = 0;
    const int64_t global = std::stoll(name.substr(4), &used);
    return used == name.size() - 4 ? global : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

const char* const kBaselineSource =
    "NREL ESIF-HPC-4 DeepCAM baseline (seed document; docs/reference/commands/"
    "deepcam_baseline.sh)";
const char* const kMlcommonsSource =
    "MLCommons HPC deepcam/src/deepCam/run_scripts/run_training.sh (docs/reference/commands/"
    "deepcam_mlcommons.sh)";

}  // namespace

DeepcamConfig deepcam_preset(const std::string& name) {
  if (name == "baseline" || name == "reference") {
    // The struct's defaults are the seed's NREL command: AdamW, start_lr 1e-3, multistep 1200
    // × 0.5, no warm-up, weight decay 1e-2, logging_frequency 0, save_frequency 400, 200 epochs,
    // local batch 8, max_inter_threads 4. "reference" is kept as an alias (older scripts).
    DeepcamConfig c;
    c.preset = "baseline";
    c.checkpoint_every = 400;
    return c;
  }
  if (name == "mlcommons") {
    DeepcamConfig c = mlcommons_preset();
    c.preset = name;
    return c;
  }
  if (name.starts_with("rcp-")) {
    const int64_t global = rcp_batch_of(name);
    SEGBENCH_CHECK(global > 0, ConfigError,
                   "unknown preset '{}': an rcp preset is rcp-<global batch size>", name);
    const DeepcamRcp& r = deepcam_rcp(global);
    DeepcamConfig c = mlcommons_preset();
    c.preset = name;
    c.global_batch_size = r.global_batch_size;
    c.gradient_accumulation_frequency = r.gradient_accumulation_frequency;
    c.batchnorm_group_size = r.batchnorm_group_size;
    c.optimizer = r.optimizer;
    c.start_lr = r.lr;
    c.betas = r.betas;
    c.eps = r.eps;
    c.weight_decay = r.weight_decay;
    c.max_grad_norm = r.max_grad_norm;
    c.lr_schedule = r.schedule;
    c.lr_milestones = r.milestones;
    c.lr_decay_rate = r.decay_rate;
    c.lr_t_max = r.t_max;
    c.lr_eta_min = r.eta_min;
    c.lr_warmup_steps = r.warmup_steps;
    c.lr_warmup_factor = r.warmup_factor;
    return c;
  }
  if (name == "demo") {
    // Synthetic CAM5 at reduced resolution with a narrow network: a few minutes on 2 cores.
    DeepcamConfig c;
    c.preset = name;
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
    DeepcamConfig c = deepcam_preset("demo");
    c.preset = name;
    c.width = 0.0625;
    c.max_epochs = 2;
    c.local_batch_size = 2;
    c.threads = 1;
    return c;
  }
  throw ConfigError(fmt::format("unknown preset '{}' (known: {}; reference = baseline)", name,
                                fmt::join(deepcam_preset_names(), ", ")));
}

std::vector<std::string> deepcam_preset_names() {
  std::vector<std::string> names{"baseline", "mlcommons"};
  for (const DeepcamRcp& r : deepcam_rcps()) {
    names.push_back(fmt::format("rcp-{}", r.global_batch_size));
  }
  names.push_back("demo");
  names.push_back("smoke");
  return names;
}

std::vector<std::string> deepcam_preset_provenance(const DeepcamConfig& c) {
  std::vector<std::string> lines;
  if (c.preset == "baseline") {
    lines.push_back(fmt::format("preset baseline: {}", kBaselineSource));
  } else if (c.preset == "mlcommons") {
    lines.push_back(fmt::format("preset mlcommons: {}", kMlcommonsSource));
  } else if (c.preset.starts_with("rcp-")) {
    const DeepcamRcp& r = deepcam_rcp(rcp_batch_of(c.preset));
    lines.push_back(fmt::format(
        "preset {}: MLPerf HPC 3.0.0 reference convergence point {} (mlcommons/logging "
        "rcp_checker/hpc_3.0.0/rcps_deepcam.json = docs/reference/rcps_deepcam_hpc_3.0.0.json; "
        "converged in {} epochs over {} runs); other values as the mlcommons preset",
        c.preset, r.name, fmt::join(r.epochs_to_converge, ","), r.epochs_to_converge.size()));
  } else {
    lines.push_back(fmt::format("preset {}: segbench's own (not a reference recipe)", c.preset));
  }
  // key=value pairs named after the reference's flags (the reference_commands test reads them).
  std::string schedule = fmt::format("lr_schedule={}", c.lr_schedule);
  if (c.lr_schedule == "multistep") {
    schedule += fmt::format(" lr_milestones={} lr_decay_rate={}", fmt::join(c.lr_milestones, ","),
                            c.lr_decay_rate);
  } else if (c.lr_schedule == "cosine_annealing") {
    schedule += fmt::format(" lr_t_max={} lr_eta_min={}", c.lr_t_max, c.lr_eta_min);
  }
  lines.push_back(fmt::format(
      "resolved: optimizer={} start_lr={} adam_eps={} optimizer_betas={},{} weight_decay={} {} "
      "lr_warmup_steps={} lr_warmup_factor={} local_batch_size={} "
      "gradient_accumulation_frequency={} max_epochs={} logging_frequency={} save_frequency={} "
      "max_inter_threads={} batchnorm_group_size={} seed={}",
      c.optimizer, c.start_lr, c.eps, c.betas[0], c.betas[1], c.weight_decay, schedule,
      c.lr_warmup_steps, c.lr_warmup_factor, c.local_batch_size, c.gradient_accumulation_frequency,
      c.max_epochs, c.logging_frequency, c.checkpoint_every, c.num_workers, c.batchnorm_group_size,
      c.seed < 0 ? std::string("drawn") : std::to_string(c.seed)));
  if (c.lr_warmup_steps == 0 && c.lr_schedule != "none") {
    lines.push_back(
        "lr_warmup_factor: irrelevant with 0 warm-up steps (the reference then builds torch's "
        "MultiStepLR / CosineAnnealingLR, which never read it); a value below 1, such as the "
        "baseline command's $(( SLURM_NNODES / 8 )) = 0 on fewer than 8 nodes, is taken as 1, "
        "the least the HPC rules accept in scheduler_lr_warmup_factor");
  }
  return lines;
}

std::filesystem::path deepcam_log_file(const DeepcamConfig& c) {
  if (!c.log_dir.empty()) return c.log_dir / (c.run_tag + ".log");
  if (!c.output_dir.empty()) return c.output_dir / "logs" / (c.run_tag + ".log");
  return {};
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
  SEGBENCH_CHECK(c.global_batch_size >= 0, ConfigError,
                 "--global_batch_size must be >= 0 (0 = local × ranks), got {}",
                 c.global_batch_size);
  SEGBENCH_CHECK(c.logging_frequency >= 0, ConfigError,
                 "--logging_frequency must be >= 0 (0 = at the end of each epoch), got {}",
                 c.logging_frequency);
  SEGBENCH_CHECK(c.checkpoint_every >= 0, ConfigError,
                 "--save_frequency must be >= 0 (0 = only at the end), got {}", c.checkpoint_every);
  SEGBENCH_CHECK(c.num_workers >= 0, ConfigError, "--max_inter_threads must be >= 0, got {}",
                 c.num_workers);
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
  SEGBENCH_CHECK(c.lr_schedule != "multistep" || !c.lr_milestones.empty(), ConfigError,
                 "--lr_schedule multistep needs at least one milestone");
  for (int64_t m : c.lr_milestones) {
    SEGBENCH_CHECK(m >= 0, ConfigError, "--lr_schedule milestones must be >= 0, got {}", m);
  }
  SEGBENCH_CHECK(c.lr_decay_rate > 0, ConfigError, "--lr_schedule decay_rate must be > 0, got {}",
                 c.lr_decay_rate);
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

namespace {

std::string unquoted(std::string v) {
  while (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return v;
}

// The whole of `text` as a double or an int64_t; ConfigError naming `what` otherwise.
template <class Number>
Number parse_number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  Number value = 0;
  try {
    if constexpr (std::is_floating_point_v<Number>) {
      value = std::stod(text, &used);
    } else {
      value = std::stoll(text, &used);
    }
  } catch (const std::exception&) {
    used = 0;
  }
  SEGBENCH_CHECK(used > 0 && used == text.size(), ConfigError, "{}: '{}' is not {}", what, text,
                 std::is_floating_point_v<Number> ? "a number" : "an integer");
  return value;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// --wireup_method: how the reference wires up its ranks, as segbench's --dist.
void apply_wireup_method(DeepcamConfig& c, const std::string& method, bool dist_given) {
  c.wireup_method = method;
  std::string dist;
  std::string meaning;
  if (method == "dummy") {
    dist = "none";
    meaning = "one process, no process group";
  } else if (method == "mpi") {
    dist = "mpi";
    meaning = "MPI";
  } else {
    dist = "auto";
    meaning = "ranks from the launch environment; NCCL on CUDA devices, Gloo on the CPU";
  }
  if (dist_given) {
    c.notes.push_back(
        fmt::format("--wireup_method {}: --dist {} given, which decides", method, c.dist));
    return;
  }
  c.dist = dist;
  c.notes.push_back(fmt::format("--wireup_method {}: --dist {} ({})", method, dist, meaning));
}

}  // namespace

void apply_lr_schedule_argument(DeepcamConfig& c, const std::string& raw) {
  const std::string value = unquoted(raw);
  if (value.find('=') == std::string::npos) {
    const std::string type = value;
    SEGBENCH_CHECK(type == "none" || type == "multistep" || type == "cosine_annealing", ConfigError,
                   "--lr_schedule '{}': expected type=multistep,milestones=\"a b\",decay_rate=x, "
                   "type=cosine_annealing,t_max=n,eta_min=x, or none | multistep | "
                   "cosine_annealing",
                   raw);
    c.lr_schedule = type;
    return;
  }
  // The reference's StoreDictKeyPair: comma-separated key=value pairs.
  std::string type;
  bool has_milestones = false, has_decay = false, has_t_max = false;
  double eta_min = 0.0;
  for (const std::string& pair : split(value, ',')) {
    const std::vector<std::string> kv = split(pair, '=');
    SEGBENCH_CHECK(kv.size() == 2 && !kv[0].empty(), ConfigError,
                   "--lr_schedule '{}': '{}' is not key=value", raw, pair);
    const std::string key = unquoted(kv[0]);
    const std::string v = unquoted(kv[1]);
    const std::string what = fmt::format("--lr_schedule {}", key);
    if (key == "type") {
      type = v;
    } else if (key == "milestones") {
      c.lr_milestones.clear();
      for (const std::string& m : split(v, ' ')) {
        if (!m.empty()) c.lr_milestones.push_back(parse_number<int64_t>(m, what));
      }
      has_milestones = true;
    } else if (key == "decay_rate") {
      c.lr_decay_rate = parse_number<double>(v, what);
      has_decay = true;
    } else if (key == "t_max") {
      c.lr_t_max = parse_number<int64_t>(v, what);
      has_t_max = true;
    } else if (key == "eta_min") {
      eta_min = parse_number<double>(v, what);
    } else {
      throw ConfigError(fmt::format(
          "--lr_schedule '{}': unknown key '{}' (type, milestones, decay_rate, t_max, eta_min)",
          raw, key));
    }
  }
  if (type == "multistep") {
    SEGBENCH_CHECK(has_milestones && has_decay, ConfigError,
                   "--lr_schedule '{}': type=multistep needs milestones= and decay_rate=", raw);
  } else if (type == "cosine_annealing") {
    SEGBENCH_CHECK(has_t_max, ConfigError,
                   "--lr_schedule '{}': type=cosine_annealing needs t_max=", raw);
    c.lr_eta_min = eta_min;  // the reference's default when eta_min= is absent: 0
  } else {
    throw ConfigError(fmt::format(
        "--lr_schedule '{}': type must be multistep or cosine_annealing, got '{}'", raw, type));
  }
  c.lr_schedule = type;
}

void resolve_deepcam_batch(DeepcamConfig& c, int world_size) {
  if (c.global_batch_size <= 0) return;
  const int64_t per_step = static_cast<int64_t>(world_size) * c.gradient_accumulation_frequency;
  SEGBENCH_CHECK(world_size >= 1 && c.gradient_accumulation_frequency >= 1 &&
                     c.global_batch_size % per_step == 0,
                 ConfigError,
                 "global batch {} (preset {}) does not divide into {} ranks × gradient "
                 "accumulation {}: choose a number of ranks that divides it",
                 c.global_batch_size, c.preset, world_size, c.gradient_accumulation_frequency);
  c.local_batch_size = c.global_batch_size / per_step;
}

DeepcamConfig parse_deepcam_cli_for_world(int argc, const char* const* argv, int world_size) {
  DeepcamConfig c = deepcam_preset(cli::find_preset(argc, argv, "baseline"));
  CLI::App app{
      "MLPerf HPC DeepCAM on CAM5 climate data (segbench). Takes the flags of the "
      "reference's train.py (docs/reference/commands/)",
      "deepcam_climate"};
  std::string preset = c.preset;
  app.add_option("--preset", preset, fmt::format("{}", fmt::join(deepcam_preset_names(), " | ")))
      ->capture_default_str();
  app.add_option("--data_dir,--data_dir_prefix", c.data_dir,
                 "directory with train/, validation/ and stats.h5");
  app.add_option("--data_format", c.data_format, "hdf5 | npy (converted)")->capture_default_str();
  app.add_option("--output_dir", c.output_dir, "MLLOG goes to <output_dir>/logs/<run_tag>.log");
  app.add_option("--log_dir", c.log_dir, "MLLOG directory instead of <output_dir>/logs");
  app.add_option("--run_tag", c.run_tag)->capture_default_str();
  app.add_option("--save_ckpt_path", c.save_ckpt_path, "checkpoint file written at the end");
  app.add_option("--load_ckpt_path,--checkpoint,--resume", c.load_ckpt_path,
                 "resume from this checkpoint");
  app.add_option("--checkpoint_every,--save_frequency", c.checkpoint_every,
                 "epochs between checkpoints")
      ->capture_default_str();
  app.add_option("--model_prefix", c.model_prefix, "accepted (reference checkpoint prefix)")
      ->capture_default_str();
  app.add_option("--logging_frequency", c.logging_frequency,
                 "iterations between train_loss/train_accuracy events (0 = once per epoch)")
      ->capture_default_str();
  app.add_option("--width", c.width, "channel width multiplier (fixed: 1)")->capture_default_str();
  app.add_option("--channels", c.channels, "input channels (fixed: 0..15)")->capture_default_str();
  app.add_option("--target_iou", c.target_iou)->capture_default_str();
  app.add_flag("--corrected_iou", c.corrected_iou, "IoU over the event classes only (open)");
  app.add_option("--max_epochs", c.max_epochs)->capture_default_str();
  app.add_option("--local_batch_size", c.local_batch_size)->capture_default_str();
  app.add_option("--global_batch_size", c.global_batch_size,
                 "> 0: fixed global batch, local = global / (ranks × accumulation)")
      ->capture_default_str();
  app.add_option("--gradient_accumulation_frequency", c.gradient_accumulation_frequency)
      ->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "Adam | AdamW | LAMB")->capture_default_str();
  app.add_option("--start_lr", c.start_lr)->capture_default_str();
  cli::add_array_option(app, "--optimizer_betas", c.betas, "beta1 beta2");
  app.add_option("--eps,--adam_eps", c.eps, "fixed: 1e-6")->capture_default_str();
  app.add_option("--weight_decay", c.weight_decay)->capture_default_str();
  app.add_option("--max_grad_norm", c.max_grad_norm, "LAMB global clip")->capture_default_str();
  std::string lr_schedule = c.lr_schedule;
  app.add_option("--lr_schedule", lr_schedule,
                 "type=multistep,milestones=\"a b\",decay_rate=x | "
                 "type=cosine_annealing,t_max=n,eta_min=x | none | multistep | cosine_annealing")
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
  app.add_option("--num_workers,--max_inter_threads", c.num_workers,
                 "data-loader threads (at most the local batch size)")
      ->capture_default_str();
  std::string wireup_method;
  app.add_option("--wireup_method", wireup_method, "reference wire-up, mapped to --dist")
      ->check(CLI::IsMember({"dummy", "nccl-openmpi", "nccl-slurm", "nccl-slurm-pmi", "mpi"}));
  std::string wandb_certdir;
  app.add_option("--wandb_certdir", wandb_certdir, "accepted and ignored");
  bool resume_logging = false;
  app.add_flag("--resume_logging", resume_logging, "accepted and ignored");
  cli::add_runtime_options(app, c);
  cli::add_submission_options(app, c);
  cli::parse_or_throw(app, argc, argv);

  if (app.count("--lr_schedule") > 0) {
    const bool key_value = lr_schedule.find('=') != std::string::npos;
    for (const char* separate :
         {"--lr_milestones", "--lr_decay_rate", "--lr_t_max", "--lr_eta_min"}) {
      SEGBENCH_CHECK(!key_value || app.count(separate) == 0, ConfigError,
                     "--lr_schedule '{}' and {} both set the schedule: give one of them",
                     lr_schedule, separate);
    }
    apply_lr_schedule_argument(c, lr_schedule);
  }
  if (app.count("--wireup_method") > 0) {
    apply_wireup_method(c, wireup_method, app.count("--dist") > 0);
  }
  if (app.count("--model_prefix") > 0) {
    c.notes.push_back(fmt::format(
        "--model_prefix {}: accepted; segbench writes one checkpoint, to --save_ckpt_path "
        "(the reference writes <output_dir>/{}_step_<step>.cpt)",
        c.model_prefix, c.model_prefix));
  }
  if (app.count("--wandb_certdir") > 0) {
    c.notes.push_back("--wandb_certdir: ignored (segbench does not log to Weights & Biases)");
  }
  if (resume_logging) {
    c.notes.push_back("--resume_logging: ignored (segbench starts a new MLLOG file every run)");
  }
  if (c.lr_warmup_factor < 1.0 && (c.lr_warmup_steps == 0 || c.lr_schedule == "none")) {
    c.notes.push_back(fmt::format(
        "--lr_warmup_factor {}: unused without warm-up steps (the reference never reads it "
        "then); taken as 1, the least the HPC rules accept in scheduler_lr_warmup_factor",
        c.lr_warmup_factor));
    c.lr_warmup_factor = 1.0;
  }
  if (c.global_batch_size > 0) {
    const int64_t given_local = c.local_batch_size;
    resolve_deepcam_batch(c, world_size);
    SEGBENCH_CHECK(app.count("--local_batch_size") == 0 || given_local == c.local_batch_size,
                   ConfigError,
                   "--local_batch_size {}: the global batch {} on {} ranks needs local batch {} "
                   "(--global_batch_size 0 frees the global batch)",
                   given_local, c.global_batch_size, world_size, c.local_batch_size);
  }
  validate(c);
  return c;
}

DeepcamConfig parse_deepcam_cli(int argc, const char* const* argv) {
  const LaunchEnv env = discover_launch_env();
  DeepcamConfig c = parse_deepcam_cli_for_world(argc, argv, env.world_size);
  if (env.rank == 0) {
    for (const std::string& note : c.notes) std::cerr << "deepcam_climate: note: " << note << '\n';
  }
  return c;
}

nlohmann::json to_json(const DeepcamConfig& c) {
  return {{"preset", c.preset},
          {"data_dir", c.data_dir.string()},
          {"data_format", c.data_format},
          {"output_dir", c.output_dir.string()},
          {"log_dir", c.log_dir.string()},
          {"run_tag", c.run_tag},
          {"save_ckpt_path", c.save_ckpt_path.string()},
          {"load_ckpt_path", c.load_ckpt_path.string()},
          {"checkpoint_every", c.checkpoint_every},
          {"model_prefix", c.model_prefix},
          {"logging_frequency", c.logging_frequency},
          {"width", c.width},
          {"channels", c.channels},
          {"target_iou", c.target_iou},
          {"corrected_iou", c.corrected_iou},
          {"max_epochs", c.max_epochs},
          {"local_batch_size", c.local_batch_size},
          {"global_batch_size", c.global_batch_size},
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
          {"deterministic", c.deterministic},
          {"dist", c.dist},
          {"wireup_method", c.wireup_method},
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
