// What the recipes share: a configuration's runtime flags as the run skeleton's RunOptions,
// and the plan every recipe starts from.
#pragma once

#include "segbench/run/data_parallel_run.hpp"
#include "segbench/train/train.hpp"

namespace segbench {

template <class Config>
RunOptions run_options(const Config& c) {
  RunOptions o{.device = c.device,
               .dist = c.dist,
               .dist_timeout_seconds = c.dist_timeout,
               .grad_sync = c.grad_sync,
               .seed = c.seed,
               .threads = c.threads,
               .dry_run = c.dry_run,
               .resuming = !c.load_ckpt_path.empty()};
  if constexpr (requires { c.submission_platform; }) o.platform = c.submission_platform;
  if constexpr (requires { c.amp; }) o.amp = c.amp;
  if constexpr (requires { c.channels_last; }) o.channels_last = c.channels_last;
  if constexpr (requires { c.tf32; }) o.tf32 = c.tf32;
  if constexpr (requires { c.deterministic; }) o.deterministic = c.deterministic;
  if constexpr (requires { c.save_ckpt_path; }) o.checkpoint_path = c.save_ckpt_path;
  return o;
}

/// A plan from the run (DataParallelRun::make_plan) with the checkpoint flags every recipe
/// has: --save_ckpt_path, --checkpoint_every, --load_ckpt_path.
template <class Config>
TrainingPlan recipe_plan(const Config& c, DataParallelRun& run) {
  TrainingPlan plan = run.make_plan();
  plan.options.checkpoint_path = c.save_ckpt_path;
  plan.options.checkpoint_every = c.checkpoint_every;
  plan.options.resume_from = c.load_ckpt_path;
  plan.options.keep_checkpoints = c.keep_checkpoints;
  plan.options.checkpoint_every_minutes = c.checkpoint_every_minutes;
  plan.options.skip_nonfinite = c.skip_nonfinite;
  return plan;
}

}  // namespace segbench
