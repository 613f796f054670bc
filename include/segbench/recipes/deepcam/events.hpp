// The MLLOG events of the DeepCAM benchmark before run_start (fidelity §2.6, §4.3). No torch.
#pragma once

#include <cstdint>
#include <string>

#include "segbench/log/mllog.hpp"
#include "segbench/log/run_shape.hpp"
#include "segbench/recipes/deepcam/config.hpp"

namespace segbench {

/// closed only on the real CAM5 split (121,266 train / 15,158 validation samples) with every
/// fixed hyperparameter at its reference value; "closed" requested otherwise is a
/// ConfigError naming what differs.
std::string resolve_deepcam_division(const DeepcamConfig& config, int64_t train_samples,
                                     int64_t eval_samples);

/// The submission_* block the HPC reference logs when its logger is created.
void log_deepcam_submission(mllog::Logger& log, const DeepcamConfig& config,
                            const std::string& division, const std::string& platform);

/// Between init_start and init_stop: seed, ranks/nodes/accelerators, global batch, BN group,
/// gradient accumulation, checkpoint, opt_name + opt_* of the optimizer, scheduler_*.
void log_deepcam_config(mllog::Logger& log, const DeepcamConfig& config, int64_t seed,
                        const RunShape& shape);

}  // namespace segbench
