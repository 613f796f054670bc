// The nnU-Net 2D BraTS recipe's composition (fidelity §3): the fold's datasets, model and
// augmentation options from the configuration, the training step of one 3-D crop laid out as
// 2-D slices (deep supervision, bf16 autocast), the epoch learning-rate policy and the
// slice-wise validation pass.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "segbench/data/brats_dataset.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/recipes/brats/config.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/train/train.hpp"
#include "segbench/transforms/brats_train.hpp"

namespace torch::optim {
class Optimizer;
}

namespace segbench {

struct BratsData {
  BratsDataset train;
  BratsDataset validation;
  int64_t in_channels = 4;
  int64_t n_class = 4;
};

/// Lists `<data_dir>/*_x.npy`, reads config.json (in_channels, n_class, patch_size — which
/// must equal --patch) and splits the cases with the configured fold. ConfigError at once for
/// --benchmark (HAB's throughput mode is not implemented).
BratsData open_brats_data(const BratsConfig& config);

Unet2DOptions brats_model_options(const BratsConfig& config, int64_t in_channels, int64_t n_class);
BratsAugmentOptions brats_augment_options(const BratsConfig& config);

/// submission events, init_start and the hyperparameter block; rank 0 prints the notes.
void log_brats_init(mllog::Logger& log, const BratsConfig& config, const DataParallelRun& run,
                    const BratsData& data);

/// adamw / adam through the shared factory; sgd as the reference builds it (momentum, no
/// Nesterov, no weight decay).
std::unique_ptr<torch::optim::Optimizer> make_brats_optimizer(const BratsConfig& config,
                                                              Unet2D& model);

/// The plan of a BraTS run: augmented crops, the epoch policy (constant, multistep, cosine or
/// plateau on the validation loss), deep supervision in the training step, optional early
/// stopping, no blocks.
TrainingPlan make_brats_plan(const BratsConfig& config, DataParallelRun& run, Unet2D model,
                             torch::optim::Optimizer& optimizer);

/// One validation volume predicted slice-wise (slices_per_batch slices per forward): the
/// per-class Dice of the volume and the loss of the main output.
CaseScore score_brats_volume(Unet2D& model, const Sample& sample, int64_t slices_per_batch);

}  // namespace segbench
