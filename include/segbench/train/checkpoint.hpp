// Training checkpoints: the model's and the optimizer's tensors (LibTorch archives) with the
// run's whole state (run_state.hpp) in one checksummed file (checkpoint_file.hpp), written to a
// temporary file, fsynced and renamed. A checkpoint path names a directory (one file per
// checkpoint, the newest K kept) or, for compatibility, one file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "segbench/train/run_state.hpp"

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace segbench {

/// A --save_ckpt_path names a directory when it is one, ends in '/', or has no extension;
/// otherwise it is the checkpoint file itself.
bool is_checkpoint_directory(const std::filesystem::path& path);

/// The directory checkpoints of `path` are written in: `path` itself when it names a checkpoint
/// directory, else its parent ("." for a bare file name).
std::filesystem::path checkpoint_directory(const std::filesystem::path& path);

/// Writes a checkpoint: into a directory as checkpoint_file_name(next epoch, next iteration),
/// removing all but the newest `keep` there; or over the file `path`. Returns the file written.
/// TrainingError naming the file on any failed write; an older checkpoint stays intact.
std::filesystem::path save_checkpoint(const std::filesystem::path& path,
                                      const torch::nn::Module& model,
                                      const torch::optim::Optimizer& optimizer,
                                      const RunState& state, int keep = 2);

struct LoadedCheckpoint {
  std::filesystem::path file;
  RunState state;
  /// Newer checkpoints of the directory that were damaged and passed over, with the reason.
  std::vector<std::string> skipped{};
};

/// Loads a checkpoint file, or the newest valid one of a checkpoint directory (a damaged one is
/// named in `skipped` and the one before it used), into an already-constructed model and
/// optimizer. Nothing is parsed before its checksum holds. Throws TrainingError naming the file
/// when none is usable, ConfigError when it is of another model (naming the tensors whose shape
/// differs).
LoadedCheckpoint load_checkpoint(const std::filesystem::path& file_or_directory,
                                 torch::nn::Module& model, torch::optim::Optimizer& optimizer);

}  // namespace segbench
