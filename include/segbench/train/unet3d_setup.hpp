// Turns a resolved Unet3dConfig into the trainer's options (schedule, evaluation cadence,
// checkpoints, MLLOG run-start events), so drivers stay short.
#pragma once

#include <cstdint>

#include "segbench/config/unet3d_config.hpp"
#include "segbench/train/trainer.hpp"

namespace segbench {

TrainerOptions make_unet3d_trainer_options(const Unet3dConfig& config, int64_t seed,
                                           int64_t samples_per_epoch, int64_t train_cases,
                                           int64_t eval_cases, int rank, int world_size);

}  // namespace segbench
