#include "segbench/train/unet3d_setup.hpp"

#include "segbench/log/unet3d_events.hpp"

namespace segbench {

TrainerOptions make_unet3d_trainer_options(const Unet3dConfig& cfg, int64_t seed,
                                           int64_t samples_per_epoch, int64_t train_cases,
                                           int64_t eval_cases, int rank, int world_size) {
  TrainerOptions options;
  options.max_epochs = cfg.epochs;
  options.evaluate_every =
      cfg.evaluate_every > 0 ? cfg.evaluate_every : default_evaluate_every(samples_per_epoch);
  options.start_eval_at =
      cfg.start_eval_at > 0 ? cfg.start_eval_at : default_start_eval_at(samples_per_epoch);
  options.ga_steps = cfg.ga_steps;
  options.samples_per_step = cfg.batch_size * world_size;
  options.schedule =
      EpochLrSchedule({cfg.learning_rate, cfg.init_learning_rate, cfg.lr_warmup_epochs,
                       cfg.lr_decay_epochs, cfg.lr_decay_factor});
  options.quality_target = cfg.quality_threshold;
  options.seed = seed;
  options.checkpoint_path = cfg.save_ckpt_path;
  options.checkpoint_every = cfg.checkpoint_every;
  options.resume_from = cfg.load_ckpt_path;
  options.run_start_events =
      unet3d_run_start_events(cfg, train_cases, eval_cases, samples_per_epoch, world_size);
  options.is_main_rank = rank == 0;
  return options;
}

}  // namespace segbench
