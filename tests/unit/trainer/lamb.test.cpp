#include "catch_torch.hpp"

#include <cmath>

#include "segbench/train/lamb.hpp"

using namespace segbench;

TEST_CASE("LAMB without weight decay: the plain Adam step, no trust ratio (Apex use_nvlamb=False)",
          "[trainer]") {
  at::Tensor p = at::tensor({1.0, 2.0}, at::kDouble).requires_grad_(true);
  Lamb lamb({p}, LambOptions(0.1).weight_decay(0.0).max_grad_norm(0.0).eps(1e-6));
  p.mutable_grad() = at::tensor({0.1, -0.2}, at::kDouble);
  lamb.step();
  // After one step m̂ = g and v̂ = g², so the update is g / (|g| + eps), applied with lr alone:
  // ||p|| / ||update|| = √5 / √2 would scale it by 1.58 under NVLAMB.
  const double u0 = 0.1 / (0.1 + 1e-6), u1 = -0.2 / (0.2 + 1e-6);
  CHECK(p[0].item<double>() == Approx(1.0 - 0.1 * u0).epsilon(1e-12));
  CHECK(p[1].item<double>() == Approx(2.0 - 0.1 * u1).epsilon(1e-12));
}

TEST_CASE("LAMB clips with one gradient norm over all parameter groups, as FusedLAMB does",
          "[trainer]") {
  // Two groups with gradients of norm 3 and 4: the global norm is 5, so both are scaled by
  // 1/5 (a per-group clip would scale them by 1/3 and 1/4). The first step's update is
  // ĝ / (|ĝ| + eps), so with eps = 1e-3 the scale of ĝ shows in the result.
  at::Tensor a = at::tensor({0.0}, at::kDouble).requires_grad_(true);
  at::Tensor b = at::tensor({0.0}, at::kDouble).requires_grad_(true);
  Lamb lamb({a}, LambOptions(1.0).weight_decay(0.0).max_grad_norm(1.0).eps(1e-3));
  lamb.add_param_group(torch::optim::OptimizerParamGroup(
      {b}, std::make_unique<LambOptions>(LambOptions(1.0).weight_decay(0.0).eps(1e-3))));
  a.mutable_grad() = at::tensor({3.0}, at::kDouble);
  b.mutable_grad() = at::tensor({4.0}, at::kDouble);
  lamb.step();
  // Step 1: ĝ = g / 5, m̂ = ĝ, v̂ = ĝ², update = ĝ / (|ĝ| + eps).
  const double ga = 3.0 / 5.0, gb = 4.0 / 5.0;
  CHECK(a.item<double>() == Approx(-ga / (ga + 1e-3)).epsilon(1e-12));
  CHECK(b.item<double>() == Approx(-gb / (gb + 1e-3)).epsilon(1e-12));
}

TEST_CASE("LAMB weight decay enters the update and the global clip scales gradients", "[trainer]") {
  at::Tensor p = at::tensor({3.0, 4.0}, at::kDouble).requires_grad_(true);
  Lamb lamb({p}, LambOptions(0.01).weight_decay(0.5).max_grad_norm(1.0).eps(0.0));
  p.mutable_grad() = at::tensor({30.0, 40.0}, at::kDouble);  // norm 50 → clipped to 1
  lamb.step();
  // Direction: sign(g) + wd·p = (1 + 1.5, 1 + 2) — clipping does not change sign(g).
  const double u0 = 2.5, u1 = 3.0;
  const double trust = 5.0 / std::sqrt(u0 * u0 + u1 * u1);
  CHECK(p[0].item<double>() == Approx(3.0 - 0.01 * trust * u0).epsilon(1e-12));
  CHECK(p[1].item<double>() == Approx(4.0 - 0.01 * trust * u1).epsilon(1e-12));
  // Second step: moments carry the clipped gradient (0.6, 0.8).
  p.mutable_grad() = at::tensor({0.6, 0.8}, at::kDouble);
  const auto state_before = p.clone();
  lamb.step();
  CHECK_FALSE(at::equal(state_before, p));
}
