#include "segbench/recipes/unet3d/events.hpp"

#include "segbench/error.hpp"
#include "segbench/log/mllog_keys.hpp"

namespace segbench {

std::string resolve_unet3d_division(const Unet3dConfig& config,
                                    const prep::OfficialDataStatus& data) {
  if (config.submission_division == "closed") {
    SEGBENCH_CHECK(data.official, ConfigError,
                   "--submission_division closed needs the official KiTS19 data: {}", data.reason);
    return "closed";
  }
  if (config.submission_division == "open") return "open";
  return data.official ? "closed" : "open";
}

void log_unet3d_config(mllog::Logger& log, const Unet3dConfig& c, int64_t seed,
                       const RunShape& shape, const std::string& division,
                       const std::string& platform) {
  namespace key = mllog::key;
  log.event(key::kSeed, seed);
  log.event(key::kSubmissionBenchmark, "unet3d");
  log.event(key::kSubmissionOrg, c.submission_org);
  log.event(key::kSubmissionDivision, division);
  log.event(key::kSubmissionStatus, c.submission_status);
  log.event(key::kSubmissionPlatform, platform);
  log.event(key::kOptName, c.optimizer);
  log.event(key::kOptBaseLearningRate, c.learning_rate);
  log.event(key::kOptLearningRateWarmupEpochs, c.lr_warmup_epochs);
  log.event(key::kOptLearningRateDecayBoundaryEpochs, c.lr_decay_epochs);
  log.event(key::kOptLearningRateDecayFactor, c.lr_decay_factor);
  log.event(key::kOptWeightDecay, c.weight_decay);
  log.event(key::kOptMomentum, c.momentum);
  log.event(key::kOversampling, c.oversampling);
  log.event(key::kTrainingInputShape, c.input_shape);
  log.event(key::kValidationInputShape, c.val_input_shape);
  log.event(key::kValidationOverlap, c.overlap);
  log_run_shape(log, shape);
}

std::vector<std::pair<std::string, nlohmann::json>> unet3d_run_start_events(
    const Unet3dConfig& c, int64_t train_samples, int64_t eval_samples, int64_t samples_per_epoch,
    int world_size) {
  namespace key = mllog::key;
  return {{key::kTrainSamples, train_samples},
          {key::kEvalSamples, eval_samples},
          {key::kSamplesPerEpoch, samples_per_epoch},
          {key::kGlobalBatchSize, c.batch_size * world_size * c.ga_steps},
          {key::kGradientAccumulationSteps, c.ga_steps}};
}

}  // namespace segbench
