#include "segbench/train/step_lr_schedule.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "segbench/error.hpp"

namespace segbench {

namespace {

/// Multiplies `lr` by decay_rate once per milestone occurrence m with m + shift <= t, in
/// ascending order and with gamma^count per distinct milestone, as the chainable form does.
double apply_decays(double lr, std::vector<int64_t> milestones, int64_t shift, double decay_rate,
                    int64_t t) {
  std::sort(milestones.begin(), milestones.end());
  for (std::size_t i = 0; i < milestones.size();) {
    std::size_t j = i;
    while (j < milestones.size() && milestones[j] == milestones[i]) ++j;
    if (milestones[i] + shift > t) break;
    lr *= std::pow(decay_rate, static_cast<double>(j - i));
    i = j;
  }
  return lr;
}

double cosine(double from, double eta_min, int64_t e, int64_t t_max) {
  return eta_min + (from - eta_min) *
                       (1.0 + std::cos(std::numbers::pi * static_cast<double>(e) /
                                       static_cast<double>(t_max))) /
                       2.0;
}

}  // namespace

std::string to_string(StepLrKind kind) {
  switch (kind) {
    case StepLrKind::constant:
      return "constant";
    case StepLrKind::multistep:
      return "multistep";
    case StepLrKind::cosine_annealing:
      return "cosine_annealing";
  }
  return "unknown";
}

StepLrKind step_lr_kind_from_string(const std::string& name) {
  if (name == "constant" || name == "none") return StepLrKind::constant;
  if (name == "multistep") return StepLrKind::multistep;
  if (name == "cosine_annealing") return StepLrKind::cosine_annealing;
  throw ConfigError(fmt::format(
      "unknown lr schedule type '{}', expected multistep, cosine_annealing or none", name));
}

StepLrSchedule::StepLrSchedule(StepLrScheduleOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  SEGBENCH_CHECK(std::isfinite(o.base_lr) && o.base_lr > 0, ConfigError,
                 "lr schedule: start_lr must be finite and > 0, found {}", o.base_lr);
  SEGBENCH_CHECK(o.warmup_steps >= 0, ConfigError,
                 "lr schedule: lr_warmup_steps must be >= 0, found {}", o.warmup_steps);
  SEGBENCH_CHECK(std::isfinite(o.warmup_factor) && o.warmup_factor > 0, ConfigError,
                 "lr schedule: lr_warmup_factor must be finite and > 0, found {}", o.warmup_factor);
  if (o.kind == StepLrKind::multistep) {
    SEGBENCH_CHECK(std::isfinite(o.decay_rate) && o.decay_rate > 0, ConfigError,
                   "lr schedule multistep: decay_rate must be finite and > 0, found {}",
                   o.decay_rate);
    for (const int64_t m : o.milestones) {
      SEGBENCH_CHECK(m >= 0, ConfigError,
                     "lr schedule multistep: milestones must be >= 0, found [{}]",
                     fmt::join(o.milestones, ", "));
    }
  }
  if (o.kind == StepLrKind::cosine_annealing) {
    SEGBENCH_CHECK(o.t_max >= 1, ConfigError,
                   "lr schedule cosine_annealing: t_max must be >= 1, found {}", o.t_max);
    SEGBENCH_CHECK(std::isfinite(o.eta_min) && o.eta_min >= 0, ConfigError,
                   "lr schedule cosine_annealing: eta_min must be finite and >= 0, found {}",
                   o.eta_min);
  }
}

double StepLrSchedule::warmup_lr(int64_t t) const {
  const auto& o = options_;
  // The reference multiplies by a precomputed slope 1/W; so do we, for bitwise-close values.
  const double slope = 1.0 / static_cast<double>(o.warmup_steps);
  if (o.warmup_factor == 1.0) return o.base_lr * (static_cast<double>(t) * slope);
  return o.base_lr * ((o.warmup_factor - 1.0) * static_cast<double>(t) * slope + 1.0);
}

double StepLrSchedule::multistep_lr(int64_t t) const {
  const auto& o = options_;
  const int64_t w = o.warmup_steps;
  if (w == 0) return apply_decays(o.base_lr, o.milestones, 0, o.decay_rate, t);
  if (t < w) return warmup_lr(t);
  if (o.corrected)
    return apply_decays(o.base_lr * o.warmup_factor, o.milestones, w, o.decay_rate, t);
  return apply_decays(warmup_lr(w - 1), o.milestones, w + 1, o.decay_rate, t);
}

double StepLrSchedule::cosine_lr(int64_t t) const {
  const auto& o = options_;
  const int64_t w = o.warmup_steps;
  if (w == 0) return cosine(o.base_lr, o.eta_min, t, o.t_max);
  if (t < w) return warmup_lr(t);
  const int64_t e = t - w;
  if (o.corrected) return cosine(o.base_lr * o.warmup_factor, o.eta_min, e, o.t_max);
  return cosine(e <= o.t_max ? warmup_lr(w - 1) : o.base_lr, o.eta_min, e, o.t_max);
}

double StepLrSchedule::lr_at(int64_t scheduler_steps) const {
  SEGBENCH_CHECK(scheduler_steps >= 0, ConfigError,
                 "lr schedule: scheduler step must be >= 0, found {}", scheduler_steps);
  switch (options_.kind) {
    case StepLrKind::constant:
      return options_.base_lr;
    case StepLrKind::multistep:
      return multistep_lr(scheduler_steps);
    case StepLrKind::cosine_annealing:
      return cosine_lr(scheduler_steps);
  }
  return options_.base_lr;
}

double StepLrSchedule::lr_for_optimizer_step(int64_t optimizer_step) const {
  SEGBENCH_CHECK(optimizer_step >= 0, ConfigError,
                 "lr schedule: optimiser step must be >= 0, found {}", optimizer_step);
  const bool plain_cosine =
      options_.kind == StepLrKind::cosine_annealing && options_.warmup_steps == 0;
  const bool one_ahead =
      !options_.corrected && options_.kind != StepLrKind::constant && !plain_cosine;
  return lr_at(optimizer_step + (one_ahead ? 1 : 0));
}

}  // namespace segbench
