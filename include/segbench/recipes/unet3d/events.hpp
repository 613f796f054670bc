// The MLLOG events of the 3D U-Net benchmark before run_start (fidelity §1.9, §4.2).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "segbench/log/mllog.hpp"
#include "segbench/log/run_shape.hpp"
#include "segbench/prep/kits19_verification.hpp"
#include "segbench/recipes/unet3d/config.hpp"

namespace segbench {

/// closed only when the data is the official KiTS19 data (its kits19-verify record against the
/// MLCommons checksums still holds: prep/kits19_verification.hpp) and the user did not ask for
/// open; "closed" requested on anything else is a ConfigError giving the reason.
std::string resolve_unet3d_division(const Unet3dConfig& config,
                                    const prep::OfficialDataStatus& data);

/// seed, submission_* and the hyperparameter block (opt_* ... validation_overlap) in fidelity
/// §1.9 order, then segbench's number_of_ranks, number_of_nodes, accelerators_per_node.
void log_unet3d_config(mllog::Logger& log, const Unet3dConfig& config, int64_t seed,
                       const RunShape& shape, const std::string& division,
                       const std::string& platform);

/// train_samples, eval_samples, samples_per_epoch, global_batch_size,
/// gradient_accumulation_steps: logged right after run_start.
std::vector<std::pair<std::string, nlohmann::json>> unet3d_run_start_events(
    const Unet3dConfig& config, int64_t train_samples, int64_t eval_samples,
    int64_t samples_per_epoch, int world_size);

}  // namespace segbench
