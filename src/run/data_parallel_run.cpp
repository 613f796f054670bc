#include "segbench/run/data_parallel_run.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ops/tensor.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>
#include <torch/utils.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "segbench/dist/gather_from_ranks.hpp"
#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/log/log_file.hpp"
#include "segbench/run/device.hpp"
#include "segbench/run/run_environment.hpp"
#include "segbench/train/checkpoint.hpp"
#include "segbench/train/stop_signal.hpp"
#include "segbench/train/train.hpp"

namespace segbench {
namespace {

ContextOptions context_options(const RunOptions& options, const c10::Device& device) {
  return {options.dist, std::chrono::seconds(options.dist_timeout_seconds),
          device.is_cuda() ? device.index() : -1};
}

// Creates the checkpoint's directory and writes and removes a probe file there, so that an
// unwritable place fails the run now rather than at its first save.
void check_checkpoint_writable(const std::filesystem::path& checkpoint) {
  namespace fs = std::filesystem;
  const fs::path dir = checkpoint_directory(checkpoint);
  std::error_code ec;
  fs::create_directories(dir, ec);
  SEGBENCH_CHECK(!ec, ConfigError, "--save_ckpt_path {}: cannot create the directory {}: {}",
                 checkpoint.string(), dir.string(), ec.message());
  const fs::path probe = io::temporary_sibling(dir / "write-probe");
  const bool written = static_cast<bool>(std::ofstream(probe) << "probe");
  fs::remove(probe, ec);
  SEGBENCH_CHECK(written, ConfigError, "--save_ckpt_path {}: cannot write in {}",
                 checkpoint.string(), dir.string());
}

// Before anything is trained or loaded: every rank must have been started with the same seed
// flag and configuration. Compares them over the ranks (the seed as a number, every
// configuration key as a hash of its value) and throws a ConfigError on every rank naming each
// rank that differs from rank 0 and in which keys.
void check_same_start(AnyContext& ctx, const nlohmann::json& config, int64_t seed) {
  std::vector<std::string> names{"seed"};
  std::vector<std::int64_t> values{seed};
  for (const auto& [key, value] : config.items()) {
    // The seed flag is compared as a number above; reference_command is derived from the
    // other keys, so it would only repeat their difference.
    if (key == "seed" || key == "reference_command") continue;
    names.push_back(key);
    values.push_back(fingerprint_for_ranks(value.dump()));
  }
  const auto ranks = gather_from_ranks(ctx, values);
  std::vector<std::string> differences;
  for (std::size_t r = 1; r < ranks.size(); ++r) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (ranks[r][i] == ranks[0][i]) continue;
      keys.push_back(i == 0 ? fmt::format("seed ({}, rank 0 has {})", ranks[r][i], ranks[0][i])
                            : names[i]);
    }
    if (!keys.empty()) {
      differences.push_back(
          fmt::format("rank {} differs from rank 0 in {}", r, fmt::join(keys, ", ")));
    }
  }
  SEGBENCH_CHECK(differences.empty(), ConfigError,
                 "rank {}/{}: ranks started with different settings: {}; start every rank with "
                 "the same flags",
                 ctx.rank(), ctx.world_size(), fmt::join(differences, "; "));
}

}  // namespace

DataParallelRun::DataParallelRun(std::string name, RunOptions options, nlohmann::json config)
    : name_(std::move(name)), options_(std::move(options)), config_(std::move(config)) {
  if (options_.threads > 0) at::set_num_threads(static_cast<int>(options_.threads));
  env_ = discover_launch_env();
  device_ = resolve_device(options_.device, env_.local_rank);
  SEGBENCH_CHECK(options_.amp == "auto" || options_.amp == "bf16" || options_.amp == "fp32",
                 ConfigError, "--amp must be auto, bf16 or fp32, got '{}'", options_.amp);
  // Measured (valgrind, DeepCAM smoke run): with channels-last activations, oneDNN's CPU
  // convolution backward (jit_avx2_1x1_convolution_bwd_weights) writes past its buffer, in
  // Debian's LibTorch 1.13 and in 2.11 alike: heap corruption, then a crash.
  SEGBENCH_CHECK(!options_.channels_last || device_.is_cuda(), ConfigError,
                 "--channels_last on the CPU ({}): refused, LibTorch's oneDNN convolution backward "
                 "corrupts memory with channels-last tensors on the CPU (bench/RESULTS.md); use it "
                 "with --device cuda",
                 device_.str());
  precision_ = {
      .bf16_autocast = options_.amp == "bf16" || (options_.amp == "auto" && device_.is_cuda()),
      .channels_last = options_.channels_last};
  if (device_.is_cuda()) {
    // Fixed input shapes: let cuDNN pick the fastest algorithms once per shape, unless the run
    // asks for run-to-run identical results (cuDNN's benchmark may pick other algorithms).
    at::globalContext().setBenchmarkCuDNN(!options_.deterministic);
    at::globalContext().setAllowTF32CuBLAS(options_.tf32);
    at::globalContext().setAllowTF32CuDNN(options_.tf32);
  }
  if (options_.deterministic && device_.is_cuda()) {
    // cuBLAS is deterministic only with a fixed workspace (read when the handle is created).
    ::setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    at::globalContext().setDeterministicCuDNN(true);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  }
  if (!options_.checkpoint_path.empty() && !options_.dry_run && env_.rank == 0) {
    check_checkpoint_writable(options_.checkpoint_path);
  }
  seed_ = resolve_seed(options_.seed);
  torch::manual_seed(static_cast<uint64_t>(seed_));
}

DataParallelRun::~DataParallelRun() = default;

GradientSyncMode DataParallelRun::grad_sync() const {
  return gradient_sync_mode(options_.grad_sync);
}

std::string DataParallelRun::platform() const {
  return options_.platform.empty() ? default_platform(env_.world_size, at::get_num_threads(),
                                                      device_.is_cuda() ? "GPU" : "CPU")
                                   : options_.platform;
}

int DataParallelRun::print_dry_run(
    const std::vector<std::pair<std::string, std::string>>& facts) const {
  const ContextOptions dist = context_options(options_, device_);
  fmt::print("{}\n", config_.dump(2));
  fmt::print("rank layout: world {} (backend {}), this process rank {} local rank {}\n",
             env_.world_size, resolve_backend(dist, env_), env_.rank, env_.local_rank);
  fmt::print("launcher: {}\ndevice: {}\nseed: {}\nplatform: {}\n", env_.describe(), device_.str(),
             seed_, platform());
  fmt::print("precision: {}{}{}\n", precision_.describe(),
             !device_.is_cuda() ? ""
             : options_.tf32    ? "; TF32 in cuBLAS/cuDNN"
                                : "; no TF32",
             !device_.is_cuda()       ? ""
             : options_.deterministic ? "; deterministic algorithms, no cuDNN benchmark"
                                      : "; cuDNN benchmark");
  for (const auto& [name, value] : facts) fmt::print("{}: {}\n", name, value);
  return 0;
}

AnyContext& DataParallelRun::connect() {
  SEGBENCH_CHECK(!context_, ConfigError, "{}: connect() called twice", name_);
  const ContextOptions dist = context_options(options_, device_);
  context_.emplace(make_context(dist, env_));
  if (context_->world_size() > 1) check_same_start(*context_, config_, options_.seed);
  if (options_.seed < 0 && context_->world_size() > 1) {
    // A drawn seed is rank 0's for every rank (each rank drew its own in the constructor).
    at::Tensor shared = at::tensor({seed_}, at::kLong);
    context_->broadcast(shared, 0);
    seed_ = shared.item<int64_t>();
    torch::manual_seed(static_cast<uint64_t>(seed_));
  }
  return *context_;
}

AnyContext& DataParallelRun::context() {
  SEGBENCH_CHECK(context_.has_value(), ConfigError, "{}: context() before connect()", name_);
  return *context_;
}

void DataParallelRun::place_model(torch::nn::Module& module) {
  module.to(device_);
  if (precision_.channels_last) {
    at::NoGradGuard no_grad;
    for (at::Tensor& p : module.parameters()) {
      if (p.dim() == 4 || p.dim() == 5) p.set_data(p.contiguous(channels_last_format(p.dim())));
    }
  }
  broadcast_tensors(module.parameters(), context());
  broadcast_tensors(module.buffers(), context());
}

mllog::Logger& DataParallelRun::open_log(const std::filesystem::path& file) {
  if (context().rank() != 0) {
    log_ = std::make_unique<mllog::Logger>();
  } else if (file.empty()) {
    log_ = std::make_unique<mllog::Logger>(std::cout);
  } else {
    mllog::RunLog run_log = mllog::open_run_log(file, options_.resuming, &std::cout);
    for (const std::string& note : run_log.notes) std::cerr << name_ << ": " << note << '\n';
    log_ = std::move(run_log.logger);
  }
  return *log_;
}

mllog::Logger& DataParallelRun::log() {
  SEGBENCH_CHECK(log_ != nullptr, ConfigError, "{}: log() before open_log()", name_);
  return *log_;
}

RunShape DataParallelRun::shape() const {
  // One GPU per rank: a node's accelerators are its ranks when they train on CUDA.
  return {context_ ? context_->world_size() : env_.world_size, env_.num_nodes,
          device_.is_cuda() ? env_.local_world_size : 0};
}

std::function<bool()> DataParallelRun::stop_signals() const {
  return install_stop_signals();
}

TrainingPlan DataParallelRun::make_plan() {
  TrainingPlan plan;
  plan.device = device_;
  plan.precision = precision_;
  plan.grad_sync = grad_sync();
  plan.log = &log();
  plan.options.seed = seed_;
  plan.options.progress = &std::cerr;
  plan.options.stop_requested = stop_signals();
  plan.options.run_config = config_;
  plan.options.world_size = context().world_size();
  if (context().world_size() > 1) {
    plan.options.gather_from_ranks = [this](const std::vector<std::int64_t>& values) {
      return gather_from_ranks(context(), values);
    };
  }
  return plan;
}

int DataParallelRun::finish(const TrainOutcome& outcome, const std::string& details) {
  const int code = outcome.stopped_by_signal              ? kExitStoppedForResume
                   : outcome.status == RunStatus::success ? 0
                                                          : 1;
  if (context().rank() != 0) return code;
  fmt::print(stderr,
             "{}: {} ({}) after {} epochs, {:.1f} s from run_start; {}; {} ranks ({}); MLLOG {}\n",
             name_,
             code == 0                       ? "SUCCESS"
             : code == kExitStoppedForResume ? "STOPPED"
                                             : "ABORTED",
             outcome.reason, outcome.epochs_run, outcome.seconds_to_stop, details,
             context().world_size(), context().backend_name(),
             log_ && !log_->path().empty() ? log_->path().string() : "(stdout only)");
  return code;
}

}  // namespace segbench
