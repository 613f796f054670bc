#include "segbench/recipes/brats/events.hpp"

#include "segbench/log/mllog_keys.hpp"

namespace segbench {

void log_brats_submission(mllog::Logger& log) {
  namespace key = mllog::key;
  log.event(key::kSubmissionBenchmark, "unet2d_brats");
  log.event(key::kSubmissionDivision, "open");
}

void log_brats_config(mllog::Logger& log, const BratsConfig& c, int64_t seed, const RunShape& shape,
                      int64_t train_volumes, int64_t eval_volumes) {
  namespace key = mllog::key;
  log.event(key::kCacheClear, nullptr);
  log.event(key::kSeed, seed);
  log_run_shape(log, shape);
  log.event(key::kGlobalBatchSize, c.batch_size * shape.world_size);
  log.event(key::kOptName, c.optimizer);
  log.event(key::kOptBaseLearningRate, c.learning_rate);
  log.event(key::kOptWeightDecay, c.weight_decay);
  log.event("opt_scheduler", c.scheduler);
  log.event("fold", c.fold);
  log.event(key::kTrainingInputShape, {slices_per_volume(c), c.patch[0], c.patch[1]});
  log.event(key::kTrainSamples, train_volumes);
  log.event(key::kEvalSamples, eval_volumes);
}

}  // namespace segbench
