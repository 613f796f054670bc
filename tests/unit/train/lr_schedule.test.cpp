#include <catch2/catch.hpp>

#include "segbench/error.hpp"
#include "segbench/train/lr_schedule.hpp"

using segbench::EpochLrSchedule;

TEST_CASE("unet3d warm-up matches the SPEC 5.4 goldens", "[train]") {
  const EpochLrSchedule s({.base_lr = 0.8, .init_lr = 1e-4, .warmup_epochs = 200});
  CHECK(s.lr_for_epoch(1) == Approx(0.0040995).epsilon(1e-9));
  CHECK(s.lr_for_epoch(2) == Approx(0.008099).epsilon(1e-9));
  CHECK(s.lr_for_epoch(100) == Approx(0.40005).epsilon(1e-9));
  CHECK(s.lr_for_epoch(199) == Approx(0.7960005).epsilon(1e-9));
  CHECK(s.lr_for_epoch(200) == Approx(0.8).epsilon(1e-12));
  CHECK(s.lr_for_epoch(201) == Approx(0.8).epsilon(1e-12));
  CHECK(s.lr_for_epoch(4000) == Approx(0.8).epsilon(1e-12));
}

TEST_CASE("multistep decay applies from the epoch after each milestone", "[train]") {
  const EpochLrSchedule s({.base_lr = 1.0,
                           .init_lr = 1e-4,
                           .warmup_epochs = 0,
                           .decay_epochs = {10, 20},
                           .decay_factor = 0.5});
  CHECK(s.lr_for_epoch(1) == 1.0);
  CHECK(s.lr_for_epoch(10) == 1.0);
  CHECK(s.lr_for_epoch(11) == 0.5);
  CHECK(s.lr_for_epoch(20) == 0.5);
  CHECK(s.lr_for_epoch(21) == 0.25);
}

TEST_CASE("schedule rejects bad options with the value in the message", "[train]") {
  REQUIRE_THROWS_WITH(EpochLrSchedule({.base_lr = -1.0}), Catch::Contains("-1"));
  const EpochLrSchedule s({.base_lr = 1.0});
  REQUIRE_THROWS_AS(s.lr_for_epoch(0), segbench::ConfigError);
}
