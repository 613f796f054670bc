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

TEST_CASE("epoch lr policy: plateau reduces after more than `patience` bad evaluations",
          "[train]") {
  EpochLrPolicy policy({.type = "plateau", .base_lr = 1.0, .factor = 0.5, .patience = 2});
  policy.observe(0.5);
  policy.observe(0.4);
  policy.observe(0.5);  // equal is not an improvement
  CHECK(policy.lr_for_epoch(4) == 1.0);
  policy.observe(0.45);
  CHECK(policy.lr_for_epoch(5) == 0.5);
  policy.observe(0.6);  // new best resets the count
  policy.observe(0.1);
  policy.observe(0.1);
  CHECK(policy.lr_for_epoch(8) == 0.5);
}

TEST_CASE("epoch lr policy: unknown type is a ConfigError", "[train]") {
  CHECK_THROWS_WITH(EpochLrPolicy({.type = "poly"}), Catch::Contains("poly"));
}
