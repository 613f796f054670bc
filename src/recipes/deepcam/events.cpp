#include "segbench/recipes/deepcam/events.hpp"

#include <fmt/ranges.h>

#include "segbench/error.hpp"
#include "segbench/log/mllog_keys.hpp"

namespace segbench {

std::string resolve_deepcam_division(const DeepcamConfig& config, int64_t train_samples,
                                     int64_t eval_samples) {
  const bool real_split = train_samples == 121266 && eval_samples == 15158;
  const auto changed = changed_fixed_hyperparameters(config);
  if (config.submission_division == "closed") {
    SEGBENCH_CHECK(real_split, ConfigError,
                   "closed division needs the full CAM5 dataset (121266 train / 15158 validation "
                   "samples), found {} / {}",
                   train_samples, eval_samples);
    SEGBENCH_CHECK(changed.empty(), ConfigError,
                   "closed division, but fixed hyperparameters differ from the reference: {}",
                   fmt::join(changed, "; "));
    return "closed";
  }
  if (config.submission_division == "open") return "open";
  return real_split && changed.empty() ? "closed" : "open";
}

void log_deepcam_submission(mllog::Logger& log, const DeepcamConfig& c, const std::string& division,
                            const std::string& platform) {
  namespace key = mllog::key;
  log.event(key::kSubmissionBenchmark, "deepcam");
  log.event(key::kSubmissionOrg, c.submission_org);
  log.event(key::kSubmissionDivision, division);
  log.event(key::kSubmissionStatus, c.submission_status);
  log.event(key::kSubmissionPlatform, platform);
}

void log_deepcam_config(mllog::Logger& log, const DeepcamConfig& c, int64_t seed,
                        const RunShape& s) {
  namespace key = mllog::key;
  log.event(key::kSeed, seed);
  log_run_shape(log, s);
  log.event(key::kGlobalBatchSize,
            c.local_batch_size * s.world_size * c.gradient_accumulation_frequency);
  log.event(key::kBatchnormGroupSize, c.batchnorm_group_size);
  log.event(key::kGradientAccumulationFrequency, c.gradient_accumulation_frequency);
  log.event(key::kCheckpoint, c.load_ckpt_path.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(c.load_ckpt_path.string()));
  // segbench's own keys (the checker ignores unknown keys): which variants ran.
  log.event("segbench_iou_variant", c.corrected_iou
                                        ? "corrected: set-level IoU of the event classes"
                                        : "reference: per-sample mean over 3 classes, absent = 1");
  log.event("segbench_lr_schedule_variant", c.corrected_schedule ? "corrected" : "reference");
  log.event(key::kOptName, c.optimizer);
  log.event(key::kOptLr, c.start_lr);
  log.event(key::kOptBetas, c.betas);
  log.event(key::kOptEps, c.eps);
  log.event(key::kOptWeightDecay, c.weight_decay);
  if (c.optimizer == "LAMB") {
    // Apex FusedLAMB's fixed defaults (fidelity §2.4).
    log.event(key::kOptBiasCorrection, true);
    log.event(key::kOptGradAveraging, true);
    log.event(key::kOptMaxGradNorm, c.max_grad_norm);
  } else {
    log.event("opt_amsgrad", false);
  }
  if (c.lr_schedule == "none") return;
  log.event(key::kSchedulerType, c.lr_schedule);
  if (c.lr_schedule == "multistep") {
    log.event(key::kSchedulerMilestones, c.lr_milestones);
    log.event(key::kSchedulerDecayRate, c.lr_decay_rate);
  } else {
    log.event(key::kSchedulerTMax, c.lr_t_max);
    log.event(key::kSchedulerEtaMin, c.lr_eta_min);
  }
  log.event(key::kSchedulerLrWarmupSteps, c.lr_warmup_steps);
  log.event(key::kSchedulerLrWarmupFactor, c.lr_warmup_factor);
}

}  // namespace segbench
