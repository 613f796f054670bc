// Small CLI11 helpers shared by the drivers' command lines. No torch here.
#pragma once

#include <CLI/CLI.hpp>

#include <array>
#include <string>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::cli {

/// The value of --preset (or --preset=...) before the other flags are bound, because they
/// default to the preset's values. `fallback` when absent.
std::string find_preset(int argc, const char* const* argv, const std::string& fallback);

/// A fixed-size list option ("--input_shape 128 128 128"); ConfigError on a wrong count.
template <class T, std::size_t N>
CLI::Option* add_array_option(CLI::App& app, const std::string& name, std::array<T, N>& target,
                              const std::string& help) {
  return app
      .add_option_function<std::vector<T>>(
          name,
          [&target, name](const std::vector<T>& values) {
            SEGBENCH_CHECK(values.size() == N, ConfigError, "{} takes {} values, got {}", name, N,
                           values.size());
            std::copy(values.begin(), values.end(), target.begin());
          },
          help)
      ->expected(static_cast<int>(N));
}

/// "true"/"1"/"yes"/"on" or "false"/"0"/"no"/"off" (any case) as a bool; ConfigError naming
/// `flag` otherwise.
bool parse_switch(const std::string& flag, const std::string& value);

/// --amp [bf16|fp32|auto] (a bare --amp, as the references' store_true flag, means bf16),
/// --channels_last and --tf32.
template <class Config>
void add_precision_options(CLI::App& app, Config& c) {
  app.add_option("--amp", c.amp,
                 "autocast of the forward passes: bf16 | fp32 | auto (bf16 on CUDA, fp32 on the "
                 "CPU); a bare --amp means bf16. Default: " +
                     c.amp)
      ->expected(0, 1)
      ->default_str("bf16")
      ->check(CLI::IsMember({"bf16", "fp32", "auto"}));
  // Bare or with a value: HAB's --channels_last takes True/False.
  app.add_option_function<std::string>(
         "--channels_last",
         [&c](const std::string& value) {
           c.channels_last = parse_switch("--channels_last", value);
         },
         "channels-last batches and convolution weights (measure: can be slower); a value "
         "true/false is accepted")
      ->expected(0, 1)
      ->default_str("true");
  app.add_flag("--tf32", c.tf32, "TF32 in cuBLAS and cuDNN for fp32 work (CUDA)");
}

/// --device, --dist, --dist_timeout, --grad_sync, --seed, --threads, --dry-run and the
/// checkpoint/fault options (--keep_checkpoints, --checkpoint_every_minutes, --skip_nonfinite),
/// shared by every driver, and the precision options when the configuration has them.
template <class Config>
void add_runtime_options(CLI::App& app, Config& c) {
  app.add_option("--device", c.device,
                 "auto (the local rank's GPU when CUDA is available, else the CPU) | cpu | cuda | "
                 "cuda:N")
      ->capture_default_str();
  app.add_option("--dist", c.dist, "auto | none | gloo | mpi | nccl")->capture_default_str();
  app.add_option("--dist_timeout", c.dist_timeout, "seconds before a lost rank fails the run")
      ->capture_default_str();
  app.add_option("--grad_sync", c.grad_sync,
                 "after_backward | overlap (allreduce buckets as backward fills them)")
      ->check(CLI::IsMember({"after_backward", "overlap"}))
      ->capture_default_str();
  app.add_option("--seed", c.seed, "-1 = random")->capture_default_str();
  app.add_option("--threads", c.threads, "torch intra-op threads (0 = default)")
      ->capture_default_str();
  app.add_flag("--dry-run,--dry_run", c.dry_run,
               "print the resolved configuration and parameter count, then exit");
  if constexpr (requires { c.channels_last; }) add_precision_options(app, c);
  if constexpr (requires { c.deterministic; }) {
    app.add_flag("--deterministic", c.deterministic,
                 "CUDA: deterministic cuDNN/cuBLAS kernels only, no cuDNN benchmark (slower; "
                 "the CPU path is deterministic already)");
  }
  app.add_option("--keep_checkpoints", c.keep_checkpoints,
                 "checkpoints kept when --save_ckpt_path is a directory (the newest K)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--checkpoint_every_minutes", c.checkpoint_every_minutes,
                 "also checkpoint at the first iteration boundary after M minutes (0 = off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--skip_nonfinite", c.skip_nonfinite,
                 "optimizer steps with a non-finite loss or gradient to skip (each logged) "
                 "before the run stops with an error")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

/// The MLPerf submission_* flags (org, platform, status, division).
template <class Config>
void add_submission_options(CLI::App& app, Config& c) {
  app.add_option("--submission_org", c.submission_org)->capture_default_str();
  app.add_option("--submission_platform", c.submission_platform);
  app.add_option("--submission_status", c.submission_status)->capture_default_str();
  app.add_option("--submission_division", c.submission_division, "auto | open | closed")
      ->capture_default_str();
}

/// Parses, turning --help into EarlyExit{0} after printing the usage, and parse errors into
/// ConfigError.
void parse_or_throw(CLI::App& app, int argc, const char* const* argv);

}  // namespace segbench::cli
