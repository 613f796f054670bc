// DeepCAM per-step learning rate (fidelity §2.4): measured traces, the chainable form, corrected.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <numbers>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/train/step_lr_schedule.hpp"

using segbench::StepLrKind;
using segbench::StepLrSchedule;
using segbench::StepLrScheduleOptions;

namespace {

/// The schedulers' chainable get_lr() as fidelity §2.4 describes them, stepped one call at a time:
/// each value is computed from the previous one, as PyTorch does. Reference variants only.
std::vector<double> chained_trace(const StepLrScheduleOptions& o, int64_t steps) {
  std::map<int64_t, int> milestone_count;
  const int64_t shift = o.warmup_steps > 0 ? o.warmup_steps + 1 : 0;
  for (const int64_t m : o.milestones) ++milestone_count[m + shift];
  const int64_t w = o.warmup_steps;
  const double t_max = static_cast<double>(o.t_max);
  std::vector<double> lr;
  double group_lr = o.base_lr;
  for (int64_t t = 0; t < steps; ++t) {
    if (o.kind == StepLrKind::multistep) {
      if (w > 0 && t < w) {
        group_lr = o.base_lr * (static_cast<double>(t) * (1.0 / static_cast<double>(w)));
      } else if (milestone_count.count(t) != 0) {
        group_lr = group_lr * std::pow(o.decay_rate, milestone_count[t]);
      }
    } else {
      if (w > 0 && t < w) {
        group_lr = o.base_lr * (static_cast<double>(t) * (1.0 / static_cast<double>(w)));
      } else {
        const int64_t e = t - w;
        const double pi = std::numbers::pi;
        if (e == 0) {
          // keeps the current value
        } else if ((e - 1 - o.t_max) % (2 * o.t_max) == 0) {
          group_lr += (o.base_lr - o.eta_min) * (1.0 - std::cos(pi / t_max)) / 2.0;
        } else {
          group_lr = (1.0 + std::cos(pi * static_cast<double>(e) / t_max)) /
                         (1.0 + std::cos(pi * static_cast<double>(e - 1) / t_max)) *
                         (group_lr - o.eta_min) +
                     o.eta_min;
        }
      }
    }
    lr.push_back(group_lr);
  }
  return lr;
}

StepLrScheduleOptions run_training_sh() {
  return {.base_lr = 0.0055,
          .kind = StepLrKind::multistep,
          .milestones = {800},
          .decay_rate = 0.1,
          .warmup_steps = 400,
          .warmup_factor = 1.0};
}

StepLrScheduleOptions cosine_with_warmup() {
  return {.base_lr = 0.0055,
          .kind = StepLrKind::cosine_annealing,
          .t_max = 1000,
          .eta_min = 0.0,
          .warmup_steps = 100};
}

}  // namespace

TEST_CASE("multistep warm-up matches the measured trace of run_training.sh", "[train]") {
  const StepLrSchedule s(run_training_sh());
  CHECK(s.lr_at(0) == 0.0);
  CHECK(s.lr_at(200) == Approx(0.00275).epsilon(1e-12));
  CHECK(s.lr_at(398) == Approx(0.0055 * 398 / 400).epsilon(1e-12));
  // Never reaches 0.0055: lr(W - 1) is held.
  for (const int64_t t : {399, 400, 401, 800, 1199, 1200}) {
    INFO("step " << t);
    CHECK(s.lr_at(t) == Approx(0.00548625).epsilon(1e-12));
  }
  // The milestone 800 decays at 800 + W + 1.
  CHECK(s.lr_at(1201) == Approx(0.000548625).epsilon(1e-12));
  CHECK(s.lr_at(100000) == Approx(0.000548625).epsilon(1e-12));
}

TEST_CASE("cosine warm-up matches the measured trace", "[train]") {
  const StepLrSchedule s(cosine_with_warmup());
  CHECK(s.lr_at(50) == Approx(0.00275).epsilon(1e-12));
  CHECK(s.lr_at(100) == Approx(0.005445).epsilon(1e-12));
  CHECK(s.lr_at(600) == Approx(0.005445 / 2).epsilon(1e-12));
  CHECK(s.lr_at(1100) == Approx(0.0).margin(1e-15));
  CHECK(s.lr_at(1101) > 0.0);
  CHECK(s.lr_at(1600) > s.lr_at(1101));
  // After the trough the chainable restart term uses base_lr, so the next peak is 0.0055.
  CHECK(s.lr_at(2100) == Approx(0.0055).epsilon(1e-12));
}

TEST_CASE("closed form equals the chainable form to 1e-12", "[train]") {
  std::vector<StepLrScheduleOptions> configs{run_training_sh(), cosine_with_warmup()};
  configs.push_back({.base_lr = 0.004,
                     .kind = StepLrKind::multistep,
                     .milestones = {4096, 2048, 2048},
                     .decay_rate = 0.5,
                     .warmup_steps = 0});
  configs.push_back({.base_lr = 0.004,
                     .kind = StepLrKind::multistep,
                     .milestones = {0, 30},
                     .decay_rate = 0.3,
                     .warmup_steps = 0});
  configs.push_back({.base_lr = 0.00155,
                     .kind = StepLrKind::cosine_annealing,
                     .t_max = 900,
                     .eta_min = 1e-5,
                     .warmup_steps = 0});
  configs.push_back({.base_lr = 0.002,
                     .kind = StepLrKind::cosine_annealing,
                     .t_max = 300,
                     .eta_min = 1e-4,
                     .warmup_steps = 50});
  configs.push_back({.base_lr = 0.004,
                     .kind = StepLrKind::multistep,
                     .milestones = {200, 100},
                     .decay_rate = 0.1,
                     .warmup_steps = 100});
  for (std::size_t c = 0; c < configs.size(); ++c) {
    const StepLrSchedule s(configs[c]);
    const std::vector<double> chained = chained_trace(configs[c], 9000);
    for (int64_t t = 0; t < static_cast<int64_t>(chained.size()); ++t) {
      if (std::abs(s.lr_at(t) - chained[t]) > 1e-12) {
        FAIL("config " << c << " step " << t << ": closed " << s.lr_at(t) << " chained "
                       << chained[t]);
      }
    }
  }
}

TEST_CASE("warm-up factor != 1 ramps from base to base * factor", "[train]") {
  StepLrScheduleOptions o = run_training_sh();
  o.warmup_factor = 3.0;
  const StepLrSchedule s(o);
  CHECK(s.lr_at(0) == Approx(0.0055).epsilon(1e-12));
  CHECK(s.lr_at(200) == Approx(0.0055 * 2.0).epsilon(1e-12));
  CHECK(s.lr_at(400) == Approx(0.0055 * (2.0 * 399 / 400 + 1)).epsilon(1e-12));
  CHECK(s.lr_at(1201) == Approx(0.00055 * (2.0 * 399 / 400 + 1)).epsilon(1e-12));
}

TEST_CASE("corrected variant: peak at W, milestones at m + W, cosine from the peak", "[train]") {
  StepLrScheduleOptions multistep = run_training_sh();
  multistep.corrected = true;
  const StepLrSchedule m(multistep);
  CHECK(m.lr_at(0) == 0.0);
  CHECK(m.lr_at(399) == Approx(0.00548625).epsilon(1e-12));
  CHECK(m.lr_at(400) == Approx(0.0055).epsilon(1e-12));
  CHECK(m.lr_at(1199) == Approx(0.0055).epsilon(1e-12));
  CHECK(m.lr_at(1200) == Approx(0.00055).epsilon(1e-12));
  CHECK(m.lr_for_optimizer_step(1200) == m.lr_at(1200));

  StepLrScheduleOptions cosine = cosine_with_warmup();
  cosine.corrected = true;
  const StepLrSchedule c(cosine);
  CHECK(c.lr_at(100) == Approx(0.0055).epsilon(1e-12));
  CHECK(c.lr_at(600) == Approx(0.00275).epsilon(1e-12));
  CHECK(c.lr_at(1100) == Approx(0.0).margin(1e-15));
  CHECK(c.lr_at(2100) == Approx(0.0055).epsilon(1e-12));
}

TEST_CASE("the reference trains step s with lr_at(s + 1), except plain cosine", "[train]") {
  const StepLrSchedule multistep(run_training_sh());
  CHECK(multistep.lr_for_optimizer_step(0) == multistep.lr_at(1));
  CHECK(multistep.lr_for_optimizer_step(0) == Approx(0.0055 / 400).epsilon(1e-12));
  CHECK(multistep.lr_for_optimizer_step(398) == Approx(0.00548625).epsilon(1e-12));
  CHECK(multistep.lr_for_optimizer_step(1199) == Approx(0.00548625).epsilon(1e-12));
  CHECK(multistep.lr_for_optimizer_step(1200) == Approx(0.000548625).epsilon(1e-12));

  const StepLrSchedule plain_cosine(
      {.base_lr = 0.00155, .kind = StepLrKind::cosine_annealing, .t_max = 9000, .warmup_steps = 0});
  CHECK(plain_cosine.lr_for_optimizer_step(0) == Approx(0.00155).epsilon(1e-15));
  CHECK(plain_cosine.lr_for_optimizer_step(4500) == Approx(0.000775).epsilon(1e-12));

  const StepLrSchedule constant({.base_lr = 1e-3});
  CHECK(constant.lr_for_optimizer_step(12345) == 1e-3);
}

TEST_CASE("lr schedule options are validated", "[train]") {
  using Catch::Contains;
  REQUIRE_THROWS_AS(StepLrSchedule({.base_lr = 0.0}), segbench::ConfigError);
  REQUIRE_THROWS_WITH(StepLrSchedule({.base_lr = 1e-3, .warmup_steps = -1}),
                      Contains("lr_warmup_steps must be >= 0, found -1"));
  REQUIRE_THROWS_WITH(StepLrSchedule({.kind = StepLrKind::cosine_annealing, .t_max = 0}),
                      Contains("t_max must be >= 1, found 0"));
  REQUIRE_THROWS_WITH(StepLrSchedule({.kind = StepLrKind::multistep, .milestones = {10, -2}}),
                      Contains("milestones must be >= 0, found [10, -2]"));
  REQUIRE_THROWS_WITH(StepLrSchedule(run_training_sh()).lr_at(-1),
                      Contains("scheduler step must be >= 0, found -1"));
  CHECK(segbench::step_lr_kind_from_string("none") == StepLrKind::constant);
  CHECK(segbench::step_lr_kind_from_string("cosine_annealing") == StepLrKind::cosine_annealing);
  CHECK(segbench::to_string(StepLrKind::multistep) == "multistep");
  REQUIRE_THROWS_WITH(segbench::step_lr_kind_from_string("linear"),
                      Contains("unknown lr schedule type 'linear'"));
}
