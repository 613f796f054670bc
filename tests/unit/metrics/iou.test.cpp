// DeepCAM IoU (fidelity §2.3, §5.4 toy golden) and the mean-IoU quality target.
#include "segbench/metrics/iou.hpp"

#include <string>
#include <vector>

#include "catch_torch.hpp"
#include "segbench/dist/single_process.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::test::test_devices;

/// Logits whose argmax is `prediction` (N, H, W) for 3 classes.
at::Tensor logits_for(const at::Tensor& prediction_NHW) {
  return at::one_hot(prediction_NHW.to(at::kLong), 3).permute({0, 3, 1, 2}).to(at::kFloat) * 4.0;
}

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

TEST_CASE("IoU toy golden: pred [[0,0],[1,1]] vs gt [[0,1],[1,1]] is 0.722222", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor prediction = at::tensor({0, 0, 1, 1}, at::kLong).view({1, 2, 2}).to(device);
    const at::Tensor label = at::tensor({0, 1, 1, 1}, at::kLong).view({1, 2, 2}).to(device);
    // Counts are integers: the same on every device, and handed back on the CPU.
    const at::Tensor counts = segbench::iou_confusion_counts(logits_for(prediction), label);
    REQUIRE(counts.sizes() == at::IntArrayRef({1, 3, 3}));
    CHECK(counts.is_cpu());
    // class 0: TP 1, FP 1, FN 0; class 1: TP 2, FP 0, FN 1; class 2 absent.
    CHECK(counts.view({-1}).equal(at::tensor({1, 1, 0, 2, 0, 1, 0, 0, 0}, at::kLong)));
    CHECK(segbench::batch_mean_iou(logits_for(prediction), label) ==
          Approx((0.5 + 2.0 / 3.0 + 1.0) / 3.0).epsilon(1e-12));
    CHECK(segbench::batch_mean_iou(logits_for(prediction), label) == Approx(0.722222).margin(1e-6));
    // Without background: (2/3 + 1) / 2.
    CHECK(segbench::sample_iou_scores(counts, /*include_background=*/false)[0] ==
          Approx(5.0 / 6.0).epsilon(1e-12));
  }
}

TEST_CASE("IoU: absent classes score 1, batch mean over samples", "[metrics]") {
  // Sample 0 all background, predicted all background: every class 1 (background 4/4).
  // Sample 1 all class 2, predicted all class 1: background absent (1), classes 1 and 2 zero.
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor prediction =
        at::stack({at::zeros({2, 2}, at::kLong), at::ones({2, 2}, at::kLong)}).to(device);
    const at::Tensor label =
        at::stack({at::zeros({2, 2}, at::kLong), at::full({2, 2}, 2, at::kLong)})
            .unsqueeze(1)
            .to(device, at::kByte);
    const at::Tensor counts = segbench::iou_confusion_counts(logits_for(prediction), label);
    const std::vector<double> scores = segbench::sample_iou_scores(counts);
    REQUIRE(scores.size() == 2);
    CHECK(scores[0] == Approx(1.0).epsilon(1e-12));
    CHECK(scores[1] == Approx(1.0 / 3.0).epsilon(1e-12));
    CHECK(segbench::batch_mean_iou(logits_for(prediction), label) == Approx(2.0 / 3.0));
  }
}

TEST_CASE("MeanIouTarget, reference rule: exact mean over the samples of all ranks", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    segbench::MeanIouTarget target(segbench::reference_mean_iou(0.82));
    CHECK(target.name() == "mean_iou");
    CHECK(target.target() == 0.82);
    CHECK(target.reached(0.82));
    CHECK_FALSE(target.reached(0.8199));
    const at::Tensor prediction = at::tensor({0, 0, 1, 1}, at::kLong).view({1, 2, 2});
    const at::Tensor label = at::tensor({0, 1, 1, 1}, at::kLong).view({1, 2, 2});
    target.update(logits_for(prediction).to(device), label.to(device));  // 0.722222
    target.update({1.0});
    CHECK(target.local_samples() == 2);
    segbench::SingleProcessContext single;
    CHECK(target.aggregate(single) == Approx((0.7222222222 + 1.0) / 2).epsilon(1e-9));

    // Another rank scored 3 samples summing to 0.6: (1.7222 + 0.6) / 5.
    FakeTwoRankContext two{at::tensor({0.6, 3.0}, at::kDouble)};
    CHECK(target.aggregate(two) == Approx((1.7222222222 + 0.6) / 5).epsilon(1e-9));

    target.reset();
    REQUIRE_THROWS_WITH(target.aggregate(single), Catch::Contains("no validation sample"));
    REQUIRE_THROWS_WITH(target.update({0.5, 0.5}),
                        Catch::Contains("expected 1 value(s)") && Catch::Contains("found 2"));
  }
}

TEST_CASE("MeanIouTarget, corrected rule: set-level IoU of the event classes", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    segbench::MeanIouTarget target(segbench::corrected_mean_iou(0.82));
    // Same two samples as the absent-class test: the set has class 1 only predicted (IoU 0),
    // class 2 only in the label (IoU 0): corrected mean 0, where the reference gives 2/3.
    const at::Tensor prediction =
        at::stack({at::zeros({2, 2}, at::kLong), at::ones({2, 2}, at::kLong)});
    const at::Tensor label =
        at::stack({at::zeros({2, 2}, at::kLong), at::full({2, 2}, 2, at::kLong)});
    target.update(logits_for(prediction).to(device), label.to(device));
    segbench::SingleProcessContext single;
    CHECK(target.aggregate(single) == Approx(0.0).margin(1e-12));
    REQUIRE(target.class_iou().size() == 3);
    CHECK(target.class_iou()[0] == Approx(1.0));

    // The toy sample: class 1 set-level 2/3; class 2 absent from the whole set is left out.
    target.reset();
    const at::Tensor toy_prediction = at::tensor({0, 0, 1, 1}, at::kLong).view({1, 2, 2});
    const at::Tensor toy_label = at::tensor({0, 1, 1, 1}, at::kLong).view({1, 2, 2});
    target.update(logits_for(toy_prediction).to(device), toy_label.to(device));
    CHECK(target.aggregate(single) == Approx(2.0 / 3.0).epsilon(1e-12));
    CHECK(std::isnan(target.class_iou()[2]));

    // A peer rank adds class 2: TP 3, FP 1, FN 0 (and 1 sample) -> mean(2/3, 3/4).
    std::vector<double> peer(10, 0.0);
    peer[6] = 3;
    peer[7] = 1;
    peer[9] = 1;
    FakeTwoRankContext two{at::tensor(peer, at::kDouble)};
    CHECK(target.aggregate(two) == Approx((2.0 / 3.0 + 0.75) / 2).epsilon(1e-12));
    REQUIRE_THROWS_WITH(target.update({1.0}), Catch::Contains("expected 9 value(s) per sample"));
  }
}

TEST_CASE("IoU rejects mismatched shapes", "[metrics]") {
  REQUIRE_THROWS_WITH(
      segbench::iou_confusion_counts(at::zeros({1, 3, 2, 2}), at::zeros({1, 2, 3}, at::kLong)),
      Catch::Contains("iou_confusion_counts") && Catch::Contains("found [1, 2, 3]"));
  REQUIRE_THROWS_AS(segbench::MeanIouTarget({.target = 1.5}), segbench::ConfigError);
}
