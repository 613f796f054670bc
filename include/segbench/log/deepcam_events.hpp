// The MLLOG events of the DeepCAM benchmark before run_start (SPEC §2.6, §4.3). No torch.
#pragma once

#include <cstdint>
#include <string>

#include "segbench/config/deepcam_config.hpp"
#include "segbench/log/mllog.hpp"

namespace segbench {

/// closed only on the real CAM5 split (121,266 train / 15,158 validation samples) with every
/// fixed hyperparameter at its reference value; "closed" requested otherwise is a
/// ConfigError naming what differs.
std::string resolve_deepcam_division(const DeepcamConfig& config, int64_t train_samples,
                                     int64_t eval_samples);

/// The submission_* block the HPC reference logs when its logger is created.
void log_deepcam_submission(mllog::Logger& log, const DeepcamConfig& config,
                            const std::string& division, const std::string& platform);

struct DeepcamRunShape {
  int64_t seed = 0;
  int world_size = 1;
  int number_of_nodes = 1;
  int accelerators_per_node = 0;  ///< 0 on CPU-only systems (SPEC §6)
};

/// Between init_start and init_stop: seed, ranks/nodes/accelerators, global batch, BN group,
/// gradient accumulation, checkpoint, opt_name + opt_* of the optimizer, scheduler_*.
void log_deepcam_config(mllog::Logger& log, const DeepcamConfig& config,
                        const DeepcamRunShape& shape);

}  // namespace segbench
