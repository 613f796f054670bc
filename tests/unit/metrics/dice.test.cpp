// Dice metric (fidelity §1.4, §5.4 goldens) and the mean-Dice quality target across ranks.
#include "segbench/metrics/dice.hpp"

#include <ATen/Parallel.h>

#include <string>
#include <vector>

#include "catch_torch.hpp"
#include "segbench/dist/single_process.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::test::CpuResults;
using segbench::test::test_devices;

/// Rank 0 of a pretend world of two: allreduce adds what the other rank would contribute.
struct FakeTwoRankContext {
  at::Tensor peer_totals;
  int rank() const { return 0; }
  int world_size() const { return 2; }
  int local_rank() const { return 0; }
  std::string backend_name() const { return "fake"; }
  void allreduce_sum(at::Tensor& t) { t.add_(peer_totals.to(t.scalar_type())); }
  double allreduce_sum(double value) { return value; }
  void broadcast(at::Tensor&, int) {}
  void barrier() {}
};
static_assert(segbench::DistributedContext<FakeTwoRankContext>);

}  // namespace

TEST_CASE("dice_score matches the reference golden on seeded random data", "[metrics]") {
  at::set_num_threads(1);
  at::manual_seed(0);
  const at::Tensor cpu_logits = at::randn({2, 3, 8, 8, 8});
  const at::Tensor cpu_label = at::randint(0, 3, {2, 1, 8, 8, 8});
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor logits = cpu_logits.to(device);
    const at::Tensor label = cpu_label.to(device);
    const std::vector<double> scores = segbench::dice_score(logits, label.to(at::kByte));
    // The golden's margin: 2e-6 on the CPU; 1e-5 elsewhere (float32 sums in another order).
    const double margin = device.is_cpu() ? 2e-6 : 1e-5;
    REQUIRE(scores.size() == 2);
    CHECK(scores[0] == Approx(0.330488).margin(margin));
    CHECK(scores[1] == Approx(0.352187).margin(margin));
    cpu.check("scores", scores, device);
    CHECK(segbench::dice_score(logits, label, /*include_background=*/true).size() == 3);
  }
}

TEST_CASE("dice_score: a class absent from label and prediction scores 1", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    // Prediction and label are all kidney (class 1); tumour (class 2) appears nowhere.
    at::Tensor logits = at::zeros({1, 3, 4, 4, 4}, device);
    logits.select(1, 1).fill_(5.0);
    const at::Tensor label = at::ones({1, 1, 4, 4, 4}, at::TensorOptions(at::kByte).device(device));
    const std::vector<double> scores = segbench::dice_score(logits, label);
    CHECK(scores[0] == Approx(1.0).margin(1e-12));
    CHECK(scores[1] == Approx(1.0).margin(1e-12));

    // Half the label is tumour, never predicted: tumour Dice ~ 0, kidney 2*32/(32+64).
    at::Tensor half = label.clone();
    half.narrow(2, 0, 2).fill_(2);
    const std::vector<double> partial = segbench::dice_score(logits, half);
    CHECK(partial[0] == Approx(2.0 * 32 / 96).margin(1e-6));
    CHECK(partial[1] == Approx(0.0).margin(1e-6));
  }
}

TEST_CASE("MeanDiceTarget on one process: mean over classes of per-class case means", "[metrics]") {
  segbench::MeanDiceTarget target(0.908);
  CHECK(target.name() == "mean_dice");
  CHECK(target.target() == 0.908);
  CHECK(target.reached(0.908));
  CHECK_FALSE(target.reached(0.9079));
  target.update({0.9, 0.8});
  target.update({0.7, 0.6});
  segbench::SingleProcessContext ctx;
  CHECK(target.aggregate(ctx) == Approx(0.75));
  REQUIRE(target.class_means().size() == 2);
  CHECK(target.class_means()[0] == Approx(0.8));
  CHECK(target.class_means()[1] == Approx(0.7));
  CHECK(target.local_cases() == 2);

  target.reset();
  CHECK(target.local_cases() == 0);
  REQUIRE_THROWS_WITH(target.aggregate(ctx), Catch::Contains("no validation case"));
  REQUIRE_THROWS_WITH(target.update({0.5}),
                      Catch::Contains("expected 2 per-class scores") && Catch::Contains("found 1"));
}

TEST_CASE("MeanDiceTarget weighs every case equally across unequal shards", "[metrics]") {
  // This rank scored 1 case; the peer scored 3 cases with per-class sums (1.5, 0.9).
  segbench::MeanDiceTarget target(0.908);
  target.update({0.9, 0.7});
  FakeTwoRankContext ctx{at::tensor({1.5, 0.9, 3.0}, at::kDouble)};
  const double mean_dice = target.aggregate(ctx);
  CHECK(target.class_means()[0] == Approx((0.9 + 1.5) / 4));
  CHECK(target.class_means()[1] == Approx((0.7 + 0.9) / 4));
  CHECK(mean_dice == Approx(0.5));
  // Averaging per-rank means (the reference's defect, fidelity §1.10) would give 0.6.
  CHECK(mean_dice != Approx(0.6));
}
