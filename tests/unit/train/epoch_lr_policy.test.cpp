#include <catch2/catch.hpp>

#include "segbench/error.hpp"
#include "segbench/train/epoch_lr_policy.hpp"

using segbench::EpochLrPolicy;
using segbench::EpochLrPolicyOptions;

TEST_CASE("epoch lr policy: multistep counts milestones already passed", "[train]") {
  EpochLrPolicy policy({.type = "multistep", .base_lr = 1.0, .milestones = {2, 4}, .factor = 0.3});
  CHECK(policy.lr_for_epoch(1) == 1.0);
  CHECK(policy.lr_for_epoch(2) == 1.0);  // one scheduler step done, milestone 2 not yet
  CHECK(policy.lr_for_epoch(3) == Approx(0.3));
  CHECK(policy.lr_for_epoch(5) == Approx(0.09));
}

TEST_CASE("epoch lr policy: cosine over max_epochs from base to zero", "[train]") {
  EpochLrPolicy policy({.type = "cosine", .base_lr = 2e-3, .max_epochs = 10});
  CHECK(policy.lr_for_epoch(1) == Approx(2e-3));
  CHECK(policy.lr_for_epoch(6) == Approx(1e-3));
  CHECK(policy.lr_for_epoch(11) == Approx(0.0).margin(1e-15));
}

TEST_CASE("epoch lr policy: plateau watches the validation loss, mode min", "[train]") {
  EpochLrPolicy s({.type = "plateau", .base_lr = 1.0, .factor = 0.3, .patience = 2});
  CHECK(s.lr(1, 0) == 1.0);
  // A rising quality does not help when the loss does not fall: the reference monitors
  // val_loss, not the Dice.
  s.observe(0.1, 0.50);
  s.observe(0.2, 0.50);
  s.observe(0.3, 0.4999999);  // below best by less than the relative threshold 1e-4
  CHECK(s.lr(4, 0) == 1.0);
  s.observe(0.4, 0.60);  // third evaluation without improvement: more than patience 2
  CHECK(s.lr(5, 0) == Approx(0.3));
  s.observe(0.5, 0.40);  // a real improvement resets the count
  s.observe(0.6, 0.41);
  s.observe(0.7, 0.42);
  CHECK(s.lr(8, 0) == Approx(0.3));
  // Other schedules ignore evaluations and follow the epoch.
  EpochLrPolicy m({.type = "multistep", .base_lr = 1.0, .milestones = {2}, .factor = 0.5});
  m.observe(0.0, 100.0);
  CHECK(m.lr(2, 0) == 1.0);
  CHECK(m.lr(3, 0) == 0.5);
}

TEST_CASE("epoch lr policy: unknown type is a ConfigError", "[train]") {
  CHECK_THROWS_WITH(EpochLrPolicy({.type = "poly"}), Catch::Contains("poly"));
}
