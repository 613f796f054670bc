// Every MLPerf log key segbench emits, alphabetised (mlperf_logging constants.py names).
#pragma once

namespace segbench::mllog::key {

inline constexpr const char* kAcceleratorsPerNode = "accelerators_per_node";
inline constexpr const char* kBatchnormGroupSize = "batchnorm_group_size";
inline constexpr const char* kBlockStart = "block_start";
inline constexpr const char* kBlockStop = "block_stop";
inline constexpr const char* kCacheClear = "cache_clear";
inline constexpr const char* kCheckpoint = "checkpoint";
inline constexpr const char* kEpochStart = "epoch_start";
inline constexpr const char* kEpochStop = "epoch_stop";
inline constexpr const char* kEvalAccuracy = "eval_accuracy";
inline constexpr const char* kEvalLoss = "eval_loss";
inline constexpr const char* kEvalSamples = "eval_samples";
inline constexpr const char* kEvalStart = "eval_start";
inline constexpr const char* kEvalStop = "eval_stop";
inline constexpr const char* kGlobalBatchSize = "global_batch_size";
inline constexpr const char* kGradientAccumulationFrequency = "gradient_accumulation_frequency";
inline constexpr const char* kGradientAccumulationSteps = "gradient_accumulation_steps";
inline constexpr const char* kInitStart = "init_start";
inline constexpr const char* kInitStop = "init_stop";
inline constexpr const char* kLearningRate = "learning_rate";
inline constexpr const char* kNumberOfNodes = "number_of_nodes";
inline constexpr const char* kNumberOfRanks = "number_of_ranks";
inline constexpr const char* kOptBaseLearningRate = "opt_base_learning_rate";
inline constexpr const char* kOptBetas = "opt_betas";
inline constexpr const char* kOptBiasCorrection = "opt_bias_correction";
inline constexpr const char* kOptEps = "opt_eps";
inline constexpr const char* kOptGradAveraging = "opt_grad_averaging";
inline constexpr const char* kOptLearningRateDecayBoundaryEpochs =
    "opt_learning_rate_decay_boundary_epochs";
inline constexpr const char* kOptLearningRateDecayFactor = "opt_learning_rate_decay_factor";
inline constexpr const char* kOptLearningRateWarmupEpochs = "opt_learning_rate_warmup_epochs";
inline constexpr const char* kOptLr = "opt_lr";
inline constexpr const char* kOptMaxGradNorm = "opt_max_grad_norm";
inline constexpr const char* kOptMomentum = "opt_momentum";
inline constexpr const char* kOptName = "opt_name";
inline constexpr const char* kOptWeightDecay = "opt_weight_decay";
inline constexpr const char* kOversampling = "oversampling";
inline constexpr const char* kRunResumed = "run_resumed";  ///< segbench: a resumed run continues
inline constexpr const char* kRunStart = "run_start";
inline constexpr const char* kRunStop = "run_stop";
inline constexpr const char* kSamplesPerEpoch = "samples_per_epoch";
inline constexpr const char* kSchedulerDecayRate = "scheduler_decay_rate";
inline constexpr const char* kSchedulerEtaMin = "scheduler_eta_min";
inline constexpr const char* kSchedulerLrWarmupFactor = "scheduler_lr_warmup_factor";
inline constexpr const char* kSchedulerLrWarmupSteps = "scheduler_lr_warmup_steps";
inline constexpr const char* kSchedulerMilestones = "scheduler_milestones";
inline constexpr const char* kSchedulerTMax = "scheduler_t_max";
inline constexpr const char* kSchedulerType = "scheduler_type";
inline constexpr const char* kSeed = "seed";
inline constexpr const char* kStagingStart = "staging_start";
inline constexpr const char* kStagingStop = "staging_stop";
inline constexpr const char* kSubmissionBenchmark = "submission_benchmark";
inline constexpr const char* kSubmissionDivision = "submission_division";
inline constexpr const char* kSubmissionOrg = "submission_org";
inline constexpr const char* kSubmissionPlatform = "submission_platform";
inline constexpr const char* kSubmissionStatus = "submission_status";
inline constexpr const char* kTargetAccuracyReached = "target_accuracy_reached";
inline constexpr const char* kTrainAccuracy = "train_accuracy";
inline constexpr const char* kTrainLoss = "train_loss";
inline constexpr const char* kTrainSamples = "train_samples";
inline constexpr const char* kTrainingInputShape = "training_input_shape";
inline constexpr const char* kValidationInputShape = "validation_input_shape";
inline constexpr const char* kValidationOverlap = "validation_overlap";
inline constexpr const char* kWeightsInitialization = "weights_initialization";

}  // namespace segbench::mllog::key
