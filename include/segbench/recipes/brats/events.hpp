// The MLLOG-style events of the nnU-Net 2D BraTS run before run_start. No official ruleset
// exists: the MLPerf line format, a custom benchmark name, and the keys the seed's users
// report (fold, batch, optimiser). No torch here.
#pragma once

#include <cstdint>

#include "segbench/log/mllog.hpp"
#include "segbench/log/run_shape.hpp"
#include "segbench/recipes/brats/config.hpp"

namespace segbench {

/// submission_benchmark unet2d_brats, submission_division open (before init_start).
void log_brats_submission(mllog::Logger& log);

/// Between init_start and init_stop: cache_clear, seed, ranks/nodes/accelerators, global batch,
/// optimiser, fold, input shape, train/eval sample (volume) counts.
void log_brats_config(mllog::Logger& log, const BratsConfig& config, int64_t seed,
                      const RunShape& shape, int64_t train_volumes, int64_t eval_volumes);

}  // namespace segbench
