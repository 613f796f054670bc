// DeepCAM's library-side composition (SPEC §2): datasets from the configured layout, the
// per-step learning rate, trainer options, and the validation pass. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

#include "segbench/config/deepcam_config.hpp"
#include "segbench/data/any_dataset.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/metrics/iou.hpp"
#include "segbench/train/step_lr_schedule.hpp"
#include "segbench/train/trainer.hpp"

namespace segbench {

struct DeepcamDatasets {
  AnyDataset train;
  AnyDataset validation;
};

/// <data_dir>/train and validation (HDF5 *.h5, or the converted .npy pairs with
/// --data_format npy), normalised with <data_dir>/stats.h5.
DeepcamDatasets open_deepcam_datasets(const DeepcamConfig& config);

StepLrScheduleOptions deepcam_lr_options(const DeepcamConfig& config);

/// HPC-flavoured trainer options: evaluation every epoch, per-step learning rate, no
/// divergence rule (the IoU includes the background class and never reaches 0).
TrainerOptions make_deepcam_trainer_options(const DeepcamConfig& config, int64_t seed, int rank);

/// The group of `group_size` (--batchnorm_group_size) consecutive ranks that holds this rank,
/// for synchronised BatchNorm. A collective call; the size must divide the number of ranks.
AnyContext batchnorm_group(AnyContext& ctx, int group_size);

/// The validation pass: this rank's contiguous block of samples one at a time, the IoU into
/// `target`, the weighted cross entropy averaged over all samples of all ranks.
EvalResult evaluate_deepcam(const std::function<at::Tensor(const at::Tensor&)>& predict,
                            const AnyDataset& validation, MeanIouTarget& target, AnyContext& ctx);

}  // namespace segbench
