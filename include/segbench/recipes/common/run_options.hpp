// A recipe configuration's runtime flags as the run skeleton's RunOptions.
#pragma once

#include "segbench/run/data_parallel_run.hpp"

namespace segbench {

template <class Config>
RunOptions run_options(const Config& c) {
  RunOptions o{.dist = c.dist,
               .dist_timeout_seconds = c.dist_timeout,
               .grad_sync = c.grad_sync,
               .seed = c.seed,
               .threads = c.threads,
               .dry_run = c.dry_run};
  if constexpr (requires { c.submission_platform; }) o.platform = c.submission_platform;
  return o;
}

}  // namespace segbench
