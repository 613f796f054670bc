// What the recipes share: a configuration's runtime flags as the run skeleton's RunOptions,
// and the trainer options every recipe sets the same way.
#pragma once

#include <iostream>

#include "segbench/run/data_parallel_run.hpp"
#include "segbench/train/trainer.hpp"

namespace segbench {

template <class Config>
RunOptions run_options(const Config& c) {
  RunOptions o{.device = c.device,
               .dist = c.dist,
               .dist_timeout_seconds = c.dist_timeout,
               .grad_sync = c.grad_sync,
               .seed = c.seed,
               .threads = c.threads,
               .dry_run = c.dry_run};
  if constexpr (requires { c.submission_platform; }) o.platform = c.submission_platform;
  return o;
}

/// What every recipe's trainer options share: the run's seed, the checkpoint flags
/// (--save_ckpt_path, --checkpoint_every, --load_ckpt_path), progress lines on stderr and
/// the stop signals.
template <class Config>
TrainerOptions common_trainer_options(const Config& c, const DataParallelRun& run) {
  TrainerOptions o;
  o.seed = run.seed();
  o.checkpoint_path = c.save_ckpt_path;
  o.checkpoint_every = c.checkpoint_every;
  o.resume_from = c.load_ckpt_path;
  o.progress = &std::cerr;
  o.stop_requested = run.stop_signals();
  return o;
}

}  // namespace segbench
