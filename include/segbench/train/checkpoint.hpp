// Training checkpoints: model, optimizer and loop state in one file, written atomically
// (temp file in the same directory, then rename) so a crash never leaves a torn file.
#pragma once

#include <cstdint>
#include <filesystem>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace segbench {

struct CheckpointState {
  int64_t epoch = 0;          ///< last completed epoch
  double last_quality = 0.0;  ///< last evaluated metric (0 if none yet)
  int64_t seed = 0;           ///< master seed of the run (resume must use the same)
};

void save_checkpoint(const std::filesystem::path& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const CheckpointState& state);

/// Loads into an already-constructed model and optimizer of the same layout.
/// Throws TrainingError naming the file on a missing, corrupt or mismatching checkpoint.
CheckpointState load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer);

}  // namespace segbench
