// Dice+CE loss: fidelity §5.4 golden, a hand-computed case with and without background, checks.
#include "segbench/losses/dice_ce.hpp"

#include <ATen/Parallel.h>

#include <cmath>

#include "catch_torch.hpp"
#include "segbench/error.hpp"

TEST_CASE("dice_ce_loss matches the reference golden on seeded random data", "[losses]") {
  at::set_num_threads(1);
  // Same generator calls as the Python reference: manual_seed(0); randn; randint.
  at::manual_seed(0);
  const at::Tensor logits = at::randn({2, 3, 8, 8, 8});
  const at::Tensor label = at::randint(0, 3, {2, 1, 8, 8, 8});
  REQUIRE(label.scalar_type() == at::kLong);
  CHECK(segbench::dice_ce_loss(logits, label).item<double>() == Approx(1.025791).margin(2e-6));
  // A uint8 label (what the data loader yields) gives the same loss.
  CHECK(segbench::dice_ce_loss(logits, label.to(at::kByte)).item<double>() ==
        Approx(1.025791).margin(2e-6));
}

TEST_CASE("dice_ce_loss on a two-voxel case computed by hand", "[losses]") {
  // Voxel 0: logits (0, 0) -> p1 = 1/2; voxel 1: logits (0, ln 3) -> p1 = 3/4; both labelled 1.
  const at::Tensor logits =
      at::tensor({0.0f, 0.0f, 0.0f, static_cast<float>(std::log(3.0))}).view({1, 2, 1, 1, 2});
  const at::Tensor label = at::ones({1, 1, 1, 1, 2}, at::kByte);
  const double cross_entropy = (std::log(2.0) - std::log(0.75)) / 2.0;
  const double class1_loss = 1.0 - (2.0 * 1.25 + 1e-6) / (2.0 + 1.25 + 1e-6);
  const double class0_loss = 1.0 - 1e-6 / (0.75 + 1e-6);  // absent from the label
  CHECK(segbench::dice_ce_loss(logits, label).item<double>() ==
        Approx((class1_loss + cross_entropy) / 2.0).margin(1e-6));
  CHECK(segbench::dice_ce_loss(logits, label, /*include_background=*/true).item<double>() ==
        Approx(((class0_loss + class1_loss) / 2.0 + cross_entropy) / 2.0).margin(1e-6));
}

TEST_CASE("dice_ce_loss is small for confident correct logits and has gradients", "[losses]") {
  at::manual_seed(1);
  const at::Tensor label = at::randint(0, 3, {2, 1, 4, 4, 4});
  const at::Tensor confident =
      (at::one_hot(label.squeeze(1), 3).permute({0, 4, 1, 2, 3}).to(at::kFloat) * 30.0)
          .requires_grad_(true);
  const at::Tensor loss = segbench::dice_ce_loss(confident, label);
  CHECK(loss.item<double>() < 1e-6);

  const at::Tensor logits = at::randn({2, 3, 4, 4, 4}).requires_grad_(true);
  segbench::dice_ce_loss(logits, label).backward();
  REQUIRE(logits.grad().defined());
  CHECK(logits.grad().isfinite().all().item<bool>());
  CHECK(logits.grad().abs().sum().item<double>() > 0.0);
}

TEST_CASE("dice_ce_loss rejects mismatched shapes, dtypes and class values", "[losses]") {
  const at::Tensor logits = at::zeros({1, 3, 4, 4, 4});
  REQUIRE_THROWS_AS(segbench::dice_ce_loss(logits, at::zeros({1, 1, 4, 4, 5}, at::kByte)),
                    segbench::DataError);
  REQUIRE_THROWS_WITH(segbench::dice_ce_loss(logits, at::zeros({1, 1, 4, 4, 5}, at::kByte)),
                      Catch::Contains("dice_ce_loss") && Catch::Contains("[1, 3, 4, 4, 4]") &&
                          Catch::Contains("found [1, 1, 4, 4, 5]"));
  REQUIRE_THROWS_WITH(segbench::dice_ce_loss(logits, at::zeros({1, 1, 4, 4, 4}, at::kFloat)),
                      Catch::Contains("expected a uint8 or int64 label, found Float"));
  REQUIRE_THROWS_WITH(
      segbench::dice_ce_loss(logits, at::full({1, 1, 4, 4, 4}, 3, at::kByte)),
      Catch::Contains("expected label values in [0, 3)") && Catch::Contains("found [3, 3]"));
}
