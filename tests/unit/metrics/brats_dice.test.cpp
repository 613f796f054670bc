// BraTS per-volume Dice (fidelity §3.8): the §5.4 toy [0.8, 1.0, 0.0], the empty-class rule,
// pooling over the slices of a volume, and the mean / dice_sum accumulation.
#include "segbench/metrics/brats_dice.hpp"

#include <vector>

#include "catch_torch.hpp"
#include "segbench/dist/single_process.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::test::test_devices;

/// Class map (N, 1, H, W) from a flat list.
at::Tensor class_map(const std::vector<int64_t>& values, int64_t n, int64_t h, int64_t w) {
  return at::tensor(values, at::kLong).view({n, 1, h, w});
}

/// Logits whose argmax is `prediction`: 5 on the predicted class, 0 elsewhere.
at::Tensor logits_for(const at::Tensor& prediction_N1HW, int64_t num_classes) {
  return at::one_hot(prediction_N1HW.squeeze(1), num_classes).permute({0, 3, 1, 2}).to(at::kFloat) *
         5.0;
}

}  // namespace

TEST_CASE("brats_volume_dice reproduces the toy [0.8, 1.0, 0.0]", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    // Class 1: label at 0, 1; prediction at 0, 1, 2 -> TP 2, FP 1, FN 0 -> 4 / 5 = 0.8.
    // Class 2: in neither -> 1. Class 3: label at 4, prediction at 5 -> TP 0 -> 0.
    const at::Tensor label = class_map({1, 1, 0, 0, 3, 0, 0, 0}, 1, 2, 4).to(device);
    const at::Tensor prediction = class_map({1, 1, 1, 0, 0, 3, 0, 0}, 1, 2, 4).to(device);
    const std::vector<double> scores =
        segbench::brats_volume_dice_from_logits(logits_for(prediction, 4), label.to(at::kByte));
    REQUIRE(scores.size() == 3);
    CHECK(scores[0] == Approx(0.8).margin(1e-12));
    CHECK(scores[1] == 1.0);
    CHECK(scores[2] == 0.0);
    CHECK(segbench::brats_volume_dice(prediction, label, 4) == scores);
  }
}

TEST_CASE("brats_volume_dice empty-class rule and pooling over slices", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    // Label without class 3: 1 if the prediction has none, 0 if it has any (here one pixel).
    const at::Tensor label = class_map({1, 2, 0, 0}, 1, 2, 2).to(device);
    CHECK(segbench::brats_volume_dice(class_map({1, 2, 0, 0}, 1, 2, 2).to(device), label, 4) ==
          std::vector<double>{1.0, 1.0, 1.0});
    CHECK(segbench::brats_volume_dice(class_map({1, 2, 0, 3}, 1, 2, 2).to(device), label, 4) ==
          std::vector<double>{1.0, 1.0, 0.0});
    // A class in the label but never predicted scores 0.
    CHECK(segbench::brats_volume_dice(class_map({1, 0, 0, 0}, 1, 2, 2).to(device), label, 4)[1] ==
          0.0);

    // Two slices of one volume: class 1 slice 0 TP 1; slice 1 TP 1, FP 2. Counts are pooled:
    // 2·2 / (2·2 + 2 + 0) = 2/3, not the slice mean (1 + 0.5) / 2.
    const at::Tensor slices_label = class_map({1, 0, 0, 0, 1, 0, 0, 0}, 2, 2, 2).to(device);
    const at::Tensor slices_prediction = class_map({1, 0, 0, 0, 1, 1, 1, 0}, 2, 2, 2).to(device);
    CHECK(segbench::brats_volume_dice(slices_prediction, slices_label, 4)[0] ==
          Approx(2.0 / 3.0).margin(1e-12));
    // A 3-D volume (N, C, D, H, W) works the same way.
    const at::Tensor volume_label = slices_label.view({1, 1, 2, 2, 2});
    const at::Tensor volume_logits =
        logits_for(slices_prediction, 4).permute({1, 0, 2, 3}).unsqueeze(0);  // (1, 4, 2, 2, 2)
    CHECK(segbench::brats_volume_dice_from_logits(volume_logits, volume_label)[0] ==
          Approx(2.0 / 3.0).margin(1e-12));
  }
}

TEST_CASE("BraTS mean Dice: mean over volumes, then over the 3 classes; dice_sum", "[metrics]") {
  segbench::MeanDiceTarget target = segbench::brats_mean_dice_target(0.7);
  REQUIRE_THROWS_WITH(segbench::brats_dice_sum(target), Catch::Contains("aggregate() first"));
  target.update({0.8, 1.0, 0.0});  // the toy volume
  target.update({1.0, 1.0, 0.0});  // a perfect volume with a false-positive class 3
  segbench::SingleProcessContext ctx;
  const double mean = target.aggregate(ctx);
  REQUIRE(target.class_means().size() == 3);
  CHECK(target.class_means()[0] == Approx(0.9).margin(1e-12));
  CHECK(target.class_means()[1] == 1.0);
  CHECK(target.class_means()[2] == 0.0);
  CHECK(mean == Approx((0.9 + 1.0 + 0.0) / 3.0).margin(1e-12));
  CHECK(segbench::brats_dice_sum(target) == Approx(1.9).margin(1e-12));
  CHECK(target.target() == 0.7);
  CHECK_FALSE(target.reached(mean));
  REQUIRE_THROWS_WITH(target.update({0.5, 0.5}), Catch::Contains("expected 3 per-class scores"));
}

TEST_CASE("brats_volume_dice rejects mismatched inputs", "[metrics]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const auto on = at::TensorOptions().device(device);
    const at::Tensor label = at::zeros({1, 1, 2, 2}, on.dtype(at::kByte));
    REQUIRE_THROWS_WITH(
        segbench::brats_volume_dice(at::zeros({1, 1, 2, 3}, on.dtype(at::kByte)), label, 4),
        Catch::Contains("[1, 1, 2, 3]") && Catch::Contains("[1, 1, 2, 2]"));
    REQUIRE_THROWS_WITH(segbench::brats_volume_dice(at::zeros({1, 1, 2, 2}, on), label, 4),
                        Catch::Contains("uint8 or int64 prediction"));
    REQUIRE_THROWS_AS(segbench::brats_volume_dice_from_logits(at::zeros({1, 1, 2, 2}, on), label),
                      segbench::DataError);
  }
}
