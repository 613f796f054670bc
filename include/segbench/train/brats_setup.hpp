// nnU-Net 2D BraTS's library-side composition (SPEC §3): the fold's datasets, model and
// augmentation options from the configuration, the training loss of one 3-D crop laid out as
// 2-D slices, trainer options and the slice-wise validation pass. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "segbench/config/brats_config.hpp"
#include "segbench/data/brats_dataset.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/train/trainer.hpp"
#include "segbench/transforms/brats_train.hpp"

namespace segbench {

struct Unet2DOptions;

struct BratsData {
  BratsDataset train;
  BratsDataset validation;
  int64_t in_channels = 4;
  int64_t n_class = 4;
};

/// Lists <data_dir>/*_x.npy, reads config.json (in_channels, n_class, patch_size — which
/// must equal --patch) and splits the cases with the configured fold.
BratsData open_brats_data(const BratsConfig& config);

Unet2DOptions brats_model_options(const BratsConfig& config, int64_t in_channels, int64_t n_class);
BratsAugmentOptions brats_augment_options(const BratsConfig& config);

/// Whether bf16 autocast is on: "auto" means bf16 on CUDA and fp32 on the CPU (bf16 is
/// slower on AVX2-only CPUs, faster on AMX ones: bench/RESULTS.md).
bool brats_uses_bf16(const BratsConfig& config, bool on_cuda);

TrainerOptions make_brats_trainer_options(const BratsConfig& config, int64_t seed, int rank);

/// Validation: this rank's contiguous share of the volumes, each predicted slice-wise
/// (val_batch_size slices per forward), per-volume Dice into `target`, the loss of the main
/// output averaged over volumes of all ranks.
EvalResult evaluate_brats(const std::function<at::Tensor(const at::Tensor&)>& predict,
                          const BratsDataset& validation, MeanDiceTarget& target, AnyContext& ctx,
                          int64_t slices_per_batch);

}  // namespace segbench
