// DeepCAM's weighted cross entropy (fidelity §2.3, §5.4 goldens).
#include "segbench/losses/deepcam_ce.hpp"

#include <ATen/Parallel.h>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

using segbench::test::CpuResults;
using segbench::test::test_devices;

TEST_CASE("deepcam class weights are f^-0.125 of the reference frequencies", "[losses]") {
  const auto w = segbench::deepcam_class_weights();
  CHECK(w[0] == Approx(1.0017299121).margin(1e-10));
  CHECK(w[1] == Approx(2.6146112240).margin(1e-10));
  CHECK(w[2] == Approx(1.7164197480).margin(1e-10));
}

TEST_CASE("deepcam_ce_loss matches the SPEC 5.4 golden on seeded random data", "[losses]") {
  at::set_num_threads(1);
  // The golden's data, found by searching seeds and shapes: torch.manual_seed(0);
  // randn(2, 3, H, W) logits, then randint(0, 3, (2, H, W)) labels, with H * W = 30 (every
  // H x W with 30 pixels reads the same streams; 5 x 6 here).
  at::manual_seed(0);
  const at::Tensor cpu_logits = at::randn({2, 3, 5, 6});
  const at::Tensor cpu_label = at::randint(0, 3, {2, 5, 6});
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor logits = cpu_logits.to(device);
    const at::Tensor label = cpu_label.to(device);
    const at::Tensor loss = segbench::deepcam_ce_loss(logits, label);
    CHECK(loss.device() == device);
    // The goldens' margin: 1e-6 on the CPU; 1e-5 elsewhere (float32 sums in another order).
    const double margin = device.is_cpu() ? 1e-6 : 1e-5;
    CHECK(loss.item<double>() == Approx(2.205033).margin(margin));
    cpu.check("loss", loss, device);
    // PyTorch's own weighted mean on the same data: the number the reference does NOT compute.
    const auto w = segbench::deepcam_class_weights();
    const at::Tensor weights = at::tensor({w[0], w[1], w[2]}, at::kDouble).to(device, at::kFloat);
    const double torch_weighted_mean =
        at::cross_entropy_loss(logits, label, weights, at::Reduction::Mean, -100, 0.0)
            .item<double>();
    CHECK(torch_weighted_mean == Approx(1.257315).margin(margin));

    // Same value for a uint8 (N, 1, H, W) label.
    CHECK(segbench::deepcam_ce_loss(logits, label.unsqueeze(1).to(at::kByte)).item<double>() ==
          Approx(loss.item<double>()).epsilon(1e-7));
  }
}

TEST_CASE("deepcam_ce_loss equals sum(w_y * ce) / N and its gradient", "[losses]") {
  at::manual_seed(3);
  const at::Tensor cpu_logits = at::randn({2, 3, 4, 4}, at::kDouble);
  const at::Tensor label = at::randint(0, 3, {2, 4, 4});
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor logits = cpu_logits.to(device).clone().requires_grad_(true);
    const at::Tensor loss = segbench::deepcam_ce_loss(logits, label.to(device));
    loss.backward();

    // By hand, in float64: ce = -log softmax at the label, weighted, divided by all 32 pixels.
    const auto w = segbench::deepcam_class_weights();
    const at::Tensor x = logits.detach().cpu();  // the reference stays on the CPU
    const at::Tensor log_p = x - x.exp().sum(1, true).log();
    double expected = 0.0;
    at::Tensor expected_grad = at::zeros_like(x);
    for (int64_t n = 0; n < 2; ++n) {
      for (int64_t i = 0; i < 4; ++i) {
        for (int64_t j = 0; j < 4; ++j) {
          const int64_t y = label[n][i][j].item<int64_t>();
          // Float32-rounded weight, as the reference passes float32 weights.
          const double wy = static_cast<double>(static_cast<float>(w[y]));
          expected -= wy * log_p[n][y][i][j].item<double>();
          for (int64_t c = 0; c < 3; ++c) {
            const double p = std::exp(log_p[n][c][i][j].item<double>());
            expected_grad[n][c][i][j] = wy * (p - (c == y ? 1.0 : 0.0)) / 32.0;
          }
        }
      }
    }
    // The float64 reference on the CPU; on another device float64 kernels sum in another order
    // (1e-12 relative is still far below the float32 weights' rounding).
    CHECK(loss.item<double>() == Approx(expected / 32.0).epsilon(1e-12));
    CHECK(at::allclose(logits.grad().cpu(), expected_grad, 1e-10, 1e-12));
  }
}

TEST_CASE("deepcam_ce_loss rejects bad shapes, dtypes and label values", "[losses]") {
  using Catch::Contains;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const auto on = at::TensorOptions().device(device);
    const at::Tensor logits = at::zeros({2, 3, 4, 4}, on);
    REQUIRE_THROWS_WITH(
        segbench::deepcam_ce_loss(logits, at::zeros({2, 4, 5}, on.dtype(at::kLong))),
        Contains("expected label shape [2, 4, 4] or [2, 1, 4, 4]") && Contains("found [2, 4, 5]"));
    REQUIRE_THROWS_WITH(segbench::deepcam_ce_loss(logits, at::zeros({2, 4, 4}, on)),
                        Contains("expected a uint8 or int64 label, found Float"));
    REQUIRE_THROWS_WITH(
        segbench::deepcam_ce_loss(logits, at::full({2, 4, 4}, 3, on.dtype(at::kLong))),
        Contains("expected label values in [0, 3)") && Contains("found [3, 3]"));
    REQUIRE_THROWS_WITH(segbench::deepcam_ce_loss(at::zeros({2, 4, 4, 4}, on),
                                                  at::zeros({2, 4, 4}, on.dtype(at::kLong))),
                        Contains("expected 3 classes") && Contains("found 4"));
    REQUIRE_THROWS_AS(
        segbench::deepcam_ce_loss(at::zeros({3, 4, 4}, on), at::zeros({3, 4}, on.dtype(at::kLong))),
        segbench::DataError);
  }
}
