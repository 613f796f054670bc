// The 3D U-Net recipe's composition: model options, the KiTS19 split and datasets, the init
// events of the MLLOG, and the training plan (Adam/SGD/LAMB, the epoch schedule, the
// reference augmentation, sliding-window Dice evaluation, the divergence rule).
#pragma once

#include <cstdint>
#include <memory>

#include "segbench/data/kits19_dataset.hpp"
#include "segbench/data/kits19_split.hpp"
#include "segbench/inference/sliding_window.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/recipes/unet3d/config.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/train/train.hpp"

namespace torch::optim {
class Optimizer;
}

namespace segbench {

Unet3DOptions unet3d_model_options(const Unet3dConfig& config);

struct Unet3dData {
  Kits19Split split;
  Kits19Dataset train;
  Kits19Dataset validation;
};

/// Lists `<data_dir>/case_*_{x,y}.npy` and splits them with the fixed KiTS19 validation list.
Unet3dData open_unet3d_data(const Unet3dConfig& config);

/// cache_clear, init_start, the fidelity §1.9 configuration block (with the division the data
/// allows: closed only on verified official KiTS19 data) and one weights_initialization per
/// tensor group. Rank 0 prints the configuration's notes and why the division is open.
void log_unet3d_init(mllog::Logger& log, const Unet3dConfig& config, const DataParallelRun& run,
                     const Kits19Split& split, Unet3D& model);

std::unique_ptr<torch::optim::Optimizer> make_unet3d_optimizer(const Unet3dConfig& config,
                                                               Unet3D& model);

/// The plan of a 3D U-Net run: batches with the reference augmentation, the epoch schedule,
/// evaluation cadence, the divergence rule, checkpoints and the run_start events.
TrainingPlan make_unet3d_plan(const Unet3dConfig& config, DataParallelRun& run, Unet3D model,
                              torch::optim::Optimizer& optimizer, const Unet3dData& data);

/// The per-case score of the validation pass: Gaussian sliding-window inference, per-class
/// Dice and the Dice+CE loss of the whole case.
CaseScore score_unet3d_case(Unet3D& model, const Sample& sample,
                            const SlidingWindowOptions& window);

}  // namespace segbench
