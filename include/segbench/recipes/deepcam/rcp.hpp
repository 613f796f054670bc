// The MLPerf HPC 3.0.0 reference convergence points of DeepCAM (mlcommons/logging
// rcp_checker/hpc_3.0.0/rcps_deepcam.json, committed as
// docs/reference/rcps_deepcam_hpc_3.0.0.json): one LAMB recipe per global batch size. The
// `rcp-<global batch>` presets are built from this table. No torch here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace segbench {

struct DeepcamRcp {
  std::string name;  ///< the json key, e.g. "deepcam_ref_128"
  int64_t global_batch_size = 0;
  int64_t gradient_accumulation_frequency = 1;
  int64_t batchnorm_group_size = 1;
  std::string optimizer = "LAMB";
  double lr = 0.0;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-6;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;
  std::string schedule;  ///< multistep | cosine_annealing
  std::vector<int64_t> milestones{};
  double decay_rate = 0.1;
  int64_t t_max = 0;
  double eta_min = 0.0;
  int64_t warmup_steps = 0;
  double warmup_factor = 1.0;
  std::vector<int> epochs_to_converge{};
};

/// Every entry of the table, in increasing global batch size.
const std::vector<DeepcamRcp>& deepcam_rcps();

/// The entry for `global_batch_size`; ConfigError listing the known sizes otherwise.
const DeepcamRcp& deepcam_rcp(int64_t global_batch_size);

}  // namespace segbench
