// The data-parallel run skeleton: what every driver does around train(). It reads the launch
// environment (Slurm, mpirun, torchrun-style variables), resolves the device and the seed,
// prints the dry run,
// creates the distributed context and checks that every rank has the same configuration,
// broadcasts the initial weights, opens the MLLOG on rank 0, installs the stop signals and
// prints the summary line with the exit code. It knows no benchmark.
#pragma once

#include <c10/core/Device.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "segbench/concepts/trainer.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/dist/gradient_sync.hpp"
#include "segbench/dist/launch_env.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/run_shape.hpp"
#include "segbench/train/precision.hpp"

namespace torch::nn {
class Module;
}

namespace segbench {
struct TrainingPlan;
}

namespace segbench {

/// The runtime flags every run takes (a recipe's CLI fills them).
struct RunOptions {
  /// auto: the local rank's GPU when CUDA is available, else the CPU | cpu | cuda | cuda:N
  std::string device = "auto";
  std::string dist = "auto";  ///< auto | none | gloo | mpi | nccl
  int64_t dist_timeout_seconds = 60;
  std::string grad_sync = "after_backward";  ///< after_backward | overlap
  int64_t seed = -1;                         ///< -1: a random seed
  int64_t threads = 0;                       ///< torch intra-op threads; 0: torch's default
  bool dry_run = false;
  /// bf16 | fp32 | auto (bf16 on CUDA, fp32 on the CPU): autocast of the forward passes.
  std::string amp = "fp32";
  bool channels_last = false;  ///< channels-last batches and convolution weights
  bool tf32 = false;           ///< TF32 in cuBLAS and cuDNN for fp32 work (CUDA; off: strict fp32)
  /// Deterministic algorithms only (CUDA: cuDNN deterministic, no cuDNN benchmark, a fixed
  /// cuBLAS workspace; an operation without a deterministic kernel is an error). The CPU path
  /// is deterministic already.
  bool deterministic = false;
  /// Where rank 0 saves checkpoints ("" = none): its directory is created and checked writable
  /// at start-up, not at the first save.
  std::filesystem::path checkpoint_path{};
  bool resuming = false;   ///< from a checkpoint: open_log() continues the interrupted run's log
  std::string platform{};  ///< MLPerf submission_platform; "" = derived from the run's shape
};

class DataParallelRun {
 public:
  /// Sets the thread count, reads the launch environment, resolves the device (ConfigError at
  /// once for a CUDA device this machine does not have), checks that rank 0 can write its
  /// checkpoints, and resolves and applies the seed.
  /// `config` is the resolved configuration: connect() checks that every rank has the same.
  DataParallelRun(std::string name, RunOptions options, nlohmann::json config);
  ~DataParallelRun();
  DataParallelRun(const DataParallelRun&) = delete;
  DataParallelRun& operator=(const DataParallelRun&) = delete;

  const std::string& name() const { return name_; }
  int64_t seed() const { return seed_; }
  const LaunchEnv& env() const { return env_; }
  bool dry_run() const { return options_.dry_run; }
  /// Where the model, batches and evaluation run.
  c10::Device device() const { return device_; }
  GradientSyncMode grad_sync() const;
  /// --amp resolved on device() (auto: bf16 on CUDA), and --channels_last.
  Precision precision() const { return precision_; }
  /// --submission_platform, or "<world>xCPU-<threads>thread" (GPU on CUDA).
  std::string platform() const;

  /// Prints the configuration, the rank layout, the launcher, seed, platform and `facts`
  /// ("parameters: 31190243"); returns 0, the dry run's exit code.
  int print_dry_run(const std::vector<std::pair<std::string, std::string>>& facts) const;

  /// Creates the context (rendezvous and pre-flight) and checks that every rank runs the same
  /// configuration and seed. Throws DistributedError naming the rank that differs. With a
  /// random seed (-1) every rank takes rank 0's.
  AnyContext& connect();
  /// The context of connect().
  AnyContext& context();
  /// Moves the module to device() (its convolution weights channels-last with --channels_last)
  /// and copies rank 0's parameters and buffers to every rank.
  void place_model(torch::nn::Module& module);

  /// The MLLOG: rank 0 writes `file` (echoed to stdout; log_file.hpp: a fresh run sets an older
  /// file aside, a resumed one continues the interrupted run's file), or stdout only when `file`
  /// is empty; other ranks log nothing.
  mllog::Logger& open_log(const std::filesystem::path& file);
  mllog::Logger& log();
  /// Ranks, nodes and accelerators per node, for the MLLOG.
  RunShape shape() const;
  /// SIGUSR1 / SIGTERM ask the run to stop at the next iteration boundary (TrainerOptions); a
  /// second one ends the process at once.
  std::function<bool()> stop_signals() const;
  /// A TrainingPlan with what the run decides filled in: device, precision, gradient sync mode,
  /// the log
  /// (open_log() first), seed, progress lines on stderr and the stop signals. The caller adds
  /// the optimizer, schedule, batching, score_case, log rules and epochs.
  TrainingPlan make_plan();

  /// Rank 0 prints `<name>: SUCCESS|ABORTED|STOPPED (<reason>) after N epochs, S s from
  /// run_start; <details>; W ranks (<backend>); MLLOG <path>` on stderr. Returns the exit code:
  /// 0 when the target was reached, kExitStoppedForResume after a stop signal, else 1.
  int finish(const TrainOutcome& outcome, const std::string& details);

 private:
  std::string name_;
  RunOptions options_;
  nlohmann::json config_;
  LaunchEnv env_;
  int64_t seed_ = 0;
  c10::Device device_{c10::kCPU};
  Precision precision_;
  std::optional<AnyContext> context_;
  std::unique_ptr<mllog::Logger> log_;
};

}  // namespace segbench
