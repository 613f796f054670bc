#include "segbench/recipes/deepcam/rcp.hpp"

#include <fmt/ranges.h>

#include "segbench/error.hpp"

namespace segbench {

// Transcribed from docs/reference/rcps_deepcam_hpc_3.0.0.json (mlcommons/logging
// rcp_checker/hpc_3.0.0); the `recipes` unit test compares every field with that file.
// opt_bias_correction and opt_grad_averaging are true in every entry (Apex FusedLAMB's
// defaults, which segbench's Lamb always applies). BS 128's scheduler_decay_rate "0.1" is
// unused by its cosine schedule.
const std::vector<DeepcamRcp>& deepcam_rcps() {
  static const std::vector<DeepcamRcp> table = [] {
    std::vector<DeepcamRcp> t;
    DeepcamRcp r;
    r.name = "deepcam_ref_128";
    r.global_batch_size = 128;
    r.lr = 0.00155;
    r.weight_decay = 0.01;
    r.schedule = "cosine_annealing";
    r.t_max = 9000;
    r.eta_min = 0.0;
    r.warmup_steps = 0;
    r.epochs_to_converge = {7, 7, 7, 7, 7, 7, 7, 8, 8, 6, 7, 8, 7, 6, 6, 7, 7, 6, 7, 7};
    t.push_back(r);

    r = DeepcamRcp{};
    r.name = "deepcam_ref_256";
    r.global_batch_size = 256;
    r.lr = 0.002;
    r.weight_decay = 0.01;
    r.schedule = "multistep";
    r.milestones = {4096, 8192};
    r.warmup_steps = 0;
    r.epochs_to_converge = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    t.push_back(r);

    r = DeepcamRcp{};
    r.name = "deepcam_ref_512";
    r.global_batch_size = 512;
    r.lr = 0.004;
    r.weight_decay = 0.01;
    r.schedule = "multistep";
    r.milestones = {2048, 4096};
    r.warmup_steps = 100;
    r.epochs_to_converge = {11, 11, 11, 11, 11, 10, 16, 12, 11, 11, 11, 10, 11, 11,
                            11, 10, 11, 11, 11, 11, 11, 11, 11, 12, 11, 11, 11, 11,
                            13, 10, 11, 13, 11, 11, 11, 10, 14, 10, 10, 10};
    t.push_back(r);

    r = DeepcamRcp{};
    r.name = "deepcam_ref_1024";
    r.global_batch_size = 1024;
    r.lr = 0.004;
    r.weight_decay = 0.01;
    r.schedule = "multistep";
    r.milestones = {1100, 4096};
    r.warmup_steps = 200;
    r.epochs_to_converge = {13, 13, 12, 13, 13, 13, 14, 13, 13, 13};
    t.push_back(r);

    r = DeepcamRcp{};
    r.name = "deepcam_ref_2048";
    r.global_batch_size = 2048;
    r.lr = 0.0055;
    r.weight_decay = 0.01;
    r.schedule = "multistep";
    r.milestones = {800};
    r.warmup_steps = 400;
    r.epochs_to_converge = {23, 23, 22, 23, 22, 26, 22, 22, 24, 22};
    t.push_back(r);
    return t;
  }();
  return table;
}

const DeepcamRcp& deepcam_rcp(int64_t global_batch_size) {
  std::vector<int64_t> known;
  for (const DeepcamRcp& r : deepcam_rcps()) {
    if (r.global_batch_size == global_batch_size) return r;
    known.push_back(r.global_batch_size);
  }
  throw ConfigError(
      fmt::format("no DeepCAM reference convergence point for global batch {} "
                  "(rcps_deepcam_hpc_3.0.0.json has {})",
                  global_batch_size, fmt::join(known, ", ")));
}

}  // namespace segbench
