// The DeepCAM recipe's composition (fidelity §2): model options, the CAM5 datasets staged and
// logged as the HPC reference does, synchronised BatchNorm groups, the per-step learning rate
// and the training plan (weighted cross entropy, IoU evaluation, HPC log rules).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "segbench/data/any_dataset.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/metrics/iou.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/recipes/deepcam/config.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/train/step_lr_schedule.hpp"
#include "segbench/train/train.hpp"

namespace torch::optim {
class Optimizer;
}

namespace segbench {

DeepLabV3PlusOptions deepcam_model_options(const DeepcamConfig& config);

struct DeepcamDatasets {
  AnyDataset train;
  AnyDataset validation;
  /// Every file the two sets read (sample files, label files in the npy layout).
  std::vector<std::filesystem::path> files{};
};

/// `<data_dir>/train` and validation (HDF5 *.h5, or the converted .npy pairs with
/// --data_format npy), normalised with `<data_dir>/stats.h5`.
DeepcamDatasets open_deepcam_datasets(const DeepcamConfig& config);

/// The reference's init sequence: init_start, cache_clear, the start-up data check (HDF5: rank
/// 0 reads every file's header, in parallel threads, and broadcasts the verdict; a bad file
/// stops every rank with its name before the first step), opening the datasets (listing and
/// stats.h5), the submission and hyperparameter events, train_samples and eval_samples.
DeepcamDatasets stage_deepcam_data(mllog::Logger& log, const DeepcamConfig& config,
                                   const DataParallelRun& run, AnyContext& ctx);

/// segbench reads the samples in place, so its staging, between staging_start and staging_stop
/// right after run_start (where the HPC 1.0/2.0 rules want it, inside the timed run), checks
/// that every file is there: each rank a 1/world share, file counts and bytes summed over ranks
/// into the staging_stop metadata. DataError naming a missing file.
void add_deepcam_staging(TrainingPlan& plan, const DeepcamDatasets& data, AnyContext& ctx);

/// The dry run's facts: BatchNorm layers, parameters, this rank's BatchNorm group, then which
/// reference the preset reproduces and the resolved values (deepcam_preset_provenance).
std::vector<std::pair<std::string, std::string>> deepcam_dry_run_facts(const DeepcamConfig& config,
                                                                       const DataParallelRun& run,
                                                                       DeepLabV3Plus& model);

/// With --batchnorm_group_size > 1, BatchNorm synchronised over groups of that many ranks.
void set_deepcam_batchnorm_groups(const DeepcamConfig& config, AnyContext& ctx,
                                  DeepLabV3Plus& model);

/// The group of `group_size` (--batchnorm_group_size) consecutive ranks that holds this rank,
/// for synchronised BatchNorm. A collective call; the size must divide the number of ranks.
AnyContext batchnorm_group(AnyContext& ctx, int group_size);

StepLrScheduleOptions deepcam_lr_options(const DeepcamConfig& config);
MeanIouTarget deepcam_target(const DeepcamConfig& config);
std::unique_ptr<torch::optim::Optimizer> make_deepcam_optimizer(const DeepcamConfig& config,
                                                                DeepLabV3Plus& model);

/// HPC-flavoured plan: evaluation every epoch, per-step learning rate, training IoU and loss
/// every --logging_frequency iterations and at each epoch's end (averaged over ranks), BatchNorm
/// statistics averaged over ranks after each epoch, min(--max_inter_threads, local batch)
/// loader threads, no divergence rule (the IoU includes the background class and never
/// reaches 0).
TrainingPlan make_deepcam_plan(const DeepcamConfig& config, DataParallelRun& run,
                               DeepLabV3Plus model, torch::optim::Optimizer& optimizer,
                               const MeanIouTarget& target);

/// One validation sample's IoU values (what MeanIouTarget::update takes) and its loss.
CaseScore score_deepcam_sample(DeepLabV3Plus& model, const Sample& sample,
                               const MeanIouTarget& target);

}  // namespace segbench
