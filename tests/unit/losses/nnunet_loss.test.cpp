// nnU-Net Dice+CE loss (fidelity §3.6): a hand-computed case, a golden from an independent Python
// re-implementation, deep-supervision weights (fidelity §5.4) and nearest label resizing.
#include "segbench/losses/nnunet_loss.hpp"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::test::CpuResults;
using segbench::test::test_devices;

/// logits[n, c, h, w] = 2·sin(a·flat + b), flat the row-major index: a deterministic input
/// that the pure-Python reference below rebuilds exactly.
at::Tensor sine_logits(int64_t n, int64_t c, int64_t h, int64_t w, double a, double b) {
  return at::arange(n * c * h * w, at::kDouble)
      .mul(a)
      .add(b)
      .sin()
      .mul(2.0)
      .view({n, c, h, w})
      .to(at::kFloat);
}

/// label[n, 0, h, w] = ((flat · 7 + 3) mod 11) mod 4, flat over (n, h, w).
at::Tensor pattern_label(int64_t n, int64_t h, int64_t w) {
  return at::arange(n * h * w, at::kLong)
      .mul(7)
      .add(3)
      .remainder(11)
      .remainder(4)
      .view({n, 1, h, w});
}

}  // namespace

TEST_CASE("nnunet_dice_ce_loss on three pixels computed by hand (batch Dice)", "[losses]") {
  // Three samples of one pixel, 2 classes. p1 = 1/2 (label 1), 3/4 (label 1), 1/4 (label 0).
  const float ln3 = static_cast<float>(std::log(3.0));
  // batch=True: one Dice over all samples; the label-0 pixel's p1 enters the denominator.
  const double dice = (2.0 * (0.5 + 0.75) + 1e-5) / ((0.5 + 0.75 + 0.25) + 2.0 + 1e-5);
  const double cross_entropy = (std::log(2.0) - std::log(0.75) - std::log(0.75)) / 3.0;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor logits =
        at::tensor({0.0f, 0.0f, 0.0f, ln3, ln3, 0.0f}).view({3, 2, 1, 1}).to(device);
    const at::Tensor label = at::tensor({1, 1, 0}, at::kByte).view({3, 1, 1, 1}).to(device);
    CHECK(segbench::nnunet_dice_ce_loss(logits, label).item<double>() ==
          Approx((1.0 - dice) + cross_entropy).margin(1e-6));
    CHECK(segbench::nnunet_dice_ce_loss(logits, label.to(at::kLong)).item<double>() ==
          Approx((1.0 - dice) + cross_entropy).margin(1e-6));
  }
}

TEST_CASE("nnunet_dice_ce_loss matches an independent Python re-implementation", "[losses]") {
  at::set_num_threads(1);
  // Golden from a pure-Python (float64) re-implementation of MONAI DiceLoss(include_background=
  // False, softmax=True, to_onehot_y=True, batch=True, smooth 1e-5) + mean CE, and DLE21's
  // deep-supervision sum with F.interpolate nearest labels, on these sine logits / pattern
  // labels (no torch in /usr/bin/python3 here): single 2.95275449, head0 (4x4) 2.83702308,
  // head1 (2x2) 3.10968093, DS total 2.74596601.
  CHECK(pattern_label(2, 8, 8)[0][0][0].equal(at::tensor({3, 2, 2, 2, 1, 1, 1, 0}, at::kLong)));
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor main_logits = sine_logits(2, 4, 8, 8, 0.37, 0.1).to(device);
    const at::Tensor head0 = sine_logits(2, 4, 4, 4, 0.53, 0.2).to(device);
    const at::Tensor head1 = sine_logits(2, 4, 2, 2, 0.71, 0.3).to(device);
    const at::Tensor label = pattern_label(2, 8, 8).to(device);

    // The goldens' margin: 2e-6 on the CPU; 1e-5 elsewhere (float32 sums in another order).
    const double margin = device.is_cpu() ? 2e-6 : 1e-5;
    CHECK(segbench::nnunet_dice_ce_loss(main_logits, label).item<double>() ==
          Approx(2.95275449).margin(margin));
    CHECK(segbench::nnunet_dice_ce_loss(head0, segbench::resize_label_nearest(label, {4, 4}))
              .item<double>() == Approx(2.83702308).margin(margin));
    CHECK(segbench::nnunet_dice_ce_loss(head1, segbench::resize_label_nearest(label, {2, 2}))
              .item<double>() == Approx(3.10968093).margin(margin));
    const at::Tensor total =
        segbench::nnunet_deep_supervision_loss({main_logits, head0, head1}, label.to(at::kByte));
    CHECK(total.device() == device);
    CHECK(total.item<double>() == Approx(2.74596601).margin(margin));
    cpu.check("deep supervision loss", total, device);
    // Without deep supervision the single output is not re-weighted.
    CHECK(segbench::nnunet_deep_supervision_loss({main_logits}, label).item<double>() ==
          Approx(2.95275449).margin(margin));
  }
}

TEST_CASE("deep_supervision_weights are 2^-i / (2 - 2^-K)", "[losses]") {
  const std::vector<double> weights = segbench::deep_supervision_weights(3);
  REQUIRE(weights.size() == 3);
  CHECK(weights[0] == Approx(0.533333).margin(1e-6));
  CHECK(weights[1] == Approx(0.266667).margin(1e-6));
  CHECK(weights[2] == Approx(0.133333).margin(1e-6));
  CHECK(weights[0] == Approx(1.0 / 1.875).margin(1e-15));
  REQUIRE_THROWS_AS(segbench::deep_supervision_weights(0), segbench::ConfigError);
}

TEST_CASE("resize_label_nearest picks floor(i * in / out), like F.interpolate", "[losses]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    // value = 7·row + col
    const at::Tensor grid = at::arange(35, at::kLong).view({1, 1, 5, 7}).to(device);
    // Rows floor(i·5/3) = 0, 1, 3; columns floor(j·7/4) = 0, 1, 3, 5.
    const at::Tensor resized = segbench::resize_label_nearest(grid, {3, 4});
    CHECK(resized.device() == device);
    CHECK(resized.view(-1).cpu().equal(
        at::tensor({0, 1, 3, 5, 7, 8, 10, 12, 21, 22, 24, 26}, at::kLong)));
    // Halving keeps the even indices and the dtype.
    const at::Tensor bytes = at::arange(64, at::kLong).view({1, 1, 8, 8}).to(device, at::kByte);
    const at::Tensor half = segbench::resize_label_nearest(bytes, {4, 4}).cpu();
    CHECK(half.scalar_type() == at::kByte);
    CHECK(half[0][0][1].equal(at::tensor({16, 18, 20, 22}, at::kByte)));
    CHECK(half[0][0][3][3].item<int64_t>() == 54);
    // Same size is the identity.
    CHECK(segbench::resize_label_nearest(bytes, {8, 8}).equal(bytes));
    REQUIRE_THROWS_WITH(segbench::resize_label_nearest(bytes, {4}),
                        Catch::Contains("2 spatial axes") && Catch::Contains("[4]"));
  }
}

TEST_CASE("nnunet loss: confident logits score near 0, gradients flow, bf16 is scored in fp32",
          "[losses]") {
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(2);
    const at::Tensor label = at::randint(0, 4, {2, 1, 6, 6}).to(device);
    const at::Tensor confident =
        (at::one_hot(label.squeeze(1), 4).permute({0, 3, 1, 2}).to(at::kFloat) * 40.0);
    CHECK(segbench::nnunet_dice_ce_loss(confident, label).item<double>() < 1e-6);

    const at::Tensor logits = at::randn({2, 4, 6, 6}).to(device).requires_grad_(true);
    segbench::nnunet_deep_supervision_loss({logits, logits.slice(2, 0, 3).slice(3, 0, 3)}, label)
        .backward();
    REQUIRE(logits.grad().defined());
    CHECK(logits.grad().isfinite().all().item<bool>());
    CHECK(logits.grad().abs().sum().item<double>() > 0.0);
    cpu.check("gradient", logits.grad(), device);

    const at::Tensor bf16 = logits.detach().to(at::kBFloat16);
    const at::Tensor loss = segbench::nnunet_dice_ce_loss(bf16, label);
    CHECK(loss.scalar_type() == at::kFloat);
    CHECK(loss.item<double>() ==
          Approx(segbench::nnunet_dice_ce_loss(bf16.to(at::kFloat), label).item<double>())
              .margin(1e-6));
  }
}

TEST_CASE("nnunet_dice_ce_loss rejects mismatched shapes, dtypes and class values", "[losses]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const auto on = at::TensorOptions().device(device);
    const at::Tensor logits = at::zeros({2, 4, 8, 8}, on);
    const at::Tensor narrow_label = at::zeros({2, 1, 8, 4}, on.dtype(at::kByte));
    REQUIRE_THROWS_AS(segbench::nnunet_dice_ce_loss(logits, narrow_label), segbench::DataError);
    REQUIRE_THROWS_WITH(segbench::nnunet_dice_ce_loss(logits, narrow_label),
                        Catch::Contains("nnunet_dice_ce_loss") && Catch::Contains("[2, 4, 8, 8]") &&
                            Catch::Contains("found [2, 1, 8, 4]"));
    REQUIRE_THROWS_WITH(
        segbench::nnunet_dice_ce_loss(logits, at::zeros({2, 1, 8, 8}, on.dtype(at::kInt))),
        Catch::Contains("uint8 or int64"));
    REQUIRE_THROWS_WITH(
        segbench::nnunet_dice_ce_loss(logits, at::full({2, 1, 8, 8}, 4, on.dtype(at::kByte))),
        Catch::Contains("values in [0, 4)") && Catch::Contains("found [4, 4]"));
  }
}
