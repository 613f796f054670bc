// Dice+CE loss: fidelity §5.4 golden, a hand-computed case with and without background, checks.
#include "segbench/losses/dice_ce.hpp"

#include <ATen/Parallel.h>

#include <cmath>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

using segbench::test::CpuResults;
using segbench::test::test_devices;

TEST_CASE("dice_ce_loss matches the reference golden on seeded random data", "[losses]") {
  at::set_num_threads(1);
  // Same generator calls as the Python reference: manual_seed(0); randn; randint.
  at::manual_seed(0);
  const at::Tensor cpu_logits = at::randn({2, 3, 8, 8, 8});
  const at::Tensor cpu_label = at::randint(0, 3, {2, 1, 8, 8, 8});
  REQUIRE(cpu_label.scalar_type() == at::kLong);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor logits = cpu_logits.to(device);
    const at::Tensor label = cpu_label.to(device);
    // The golden's margin: 2e-6 on the CPU; 1e-5 elsewhere (float32 sums in another order).
    const double margin = device.is_cpu() ? 2e-6 : 1e-5;
    const at::Tensor loss = segbench::dice_ce_loss(logits, label);
    CHECK(loss.device() == device);
    CHECK(loss.item<double>() == Approx(1.025791).margin(margin));
    cpu.check("loss", loss, device);
    // A uint8 label (what the data loader yields) gives the same loss.
    CHECK(segbench::dice_ce_loss(logits, label.to(at::kByte)).item<double>() ==
          Approx(1.025791).margin(margin));
  }
}

TEST_CASE("dice_ce_loss on a two-voxel case computed by hand", "[losses]") {
  const double cross_entropy = (std::log(2.0) - std::log(0.75)) / 2.0;
  const double class1_loss = 1.0 - (2.0 * 1.25 + 1e-6) / (2.0 + 1.25 + 1e-6);
  const double class0_loss = 1.0 - 1e-6 / (0.75 + 1e-6);  // absent from the label
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    // Voxel 0: logits (0, 0) -> p1 = 1/2; voxel 1: logits (0, ln 3) -> p1 = 3/4; both labelled 1.
    const at::Tensor logits = at::tensor({0.0f, 0.0f, 0.0f, static_cast<float>(std::log(3.0))})
                                  .view({1, 2, 1, 1, 2})
                                  .to(device);
    const at::Tensor label = at::ones({1, 1, 1, 1, 2}, at::TensorOptions(at::kByte).device(device));
    CHECK(segbench::dice_ce_loss(logits, label).item<double>() ==
          Approx((class1_loss + cross_entropy) / 2.0).margin(1e-6));
    CHECK(segbench::dice_ce_loss(logits, label, /*include_background=*/true).item<double>() ==
          Approx(((class0_loss + class1_loss) / 2.0 + cross_entropy) / 2.0).margin(1e-6));
  }
}

TEST_CASE("dice_ce_loss is small for confident correct logits and has gradients", "[losses]") {
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(1);
    const at::Tensor label = at::randint(0, 3, {2, 1, 4, 4, 4}).to(device);
    const at::Tensor confident =
        (at::one_hot(label.squeeze(1), 3).permute({0, 4, 1, 2, 3}).to(at::kFloat) * 30.0)
            .requires_grad_(true);
    const at::Tensor loss = segbench::dice_ce_loss(confident, label);
    CHECK(loss.item<double>() < 1e-6);

    const at::Tensor logits = at::randn({2, 3, 4, 4, 4}).to(device).requires_grad_(true);
    segbench::dice_ce_loss(logits, label).backward();
    REQUIRE(logits.grad().defined());
    CHECK(logits.grad().isfinite().all().item<bool>());
    CHECK(logits.grad().abs().sum().item<double>() > 0.0);
    cpu.check("gradient", logits.grad(), device);
  }
}

TEST_CASE("dice_ce_loss rejects mismatched shapes, dtypes and class values", "[losses]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const auto on = at::TensorOptions().device(device);
    const at::Tensor logits = at::zeros({1, 3, 4, 4, 4}, on);
    const at::Tensor short_label = at::zeros({1, 1, 4, 4, 5}, on.dtype(at::kByte));
    REQUIRE_THROWS_AS(segbench::dice_ce_loss(logits, short_label), segbench::DataError);
    REQUIRE_THROWS_WITH(segbench::dice_ce_loss(logits, short_label),
                        Catch::Contains("dice_ce_loss") && Catch::Contains("[1, 3, 4, 4, 4]") &&
                            Catch::Contains("found [1, 1, 4, 4, 5]"));
    REQUIRE_THROWS_WITH(segbench::dice_ce_loss(logits, at::zeros({1, 1, 4, 4, 4}, on)),
                        Catch::Contains("expected a uint8 or int64 label, found Float"));
    REQUIRE_THROWS_WITH(
        segbench::dice_ce_loss(logits, at::full({1, 1, 4, 4, 4}, 3, on.dtype(at::kByte))),
        Catch::Contains("expected label values in [0, 3)") && Catch::Contains("found [3, 3]"));
  }
}
