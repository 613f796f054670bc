// Gaussian importance map and sliding-window inference: fidelity §1.7 geometry, §5.4 goldens,
// blending that reproduces any voxel-wise predictor exactly.
#include "segbench/inference/sliding_window.hpp"

#include <array>
#include <vector>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "segbench/inference/gaussian_map.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::SlidingWindowOptions;
using Shape3 = std::array<int64_t, 3>;
using segbench::test::CpuResults;
using segbench::test::test_devices;

SlidingWindowOptions small_roi(int64_t windows_per_batch) {
  SlidingWindowOptions options;
  options.roi = {8, 8, 8};
  options.windows_per_batch = windows_per_batch;
  return options;
}

/// A voxel-wise "network": every window gives the same value at a voxel, so blending must
/// reproduce it exactly wherever it lands.
at::Tensor voxelwise_logits(const at::Tensor& x_NCDHW) {
  return at::cat({x_NCDHW * 2.0 + 1.0, -x_NCDHW, x_NCDHW.square()}, 1);
}

}  // namespace

TEST_CASE("Gaussian importance map matches the reference values at 128^3", "[inference]") {
  const at::Tensor map = segbench::gaussian_importance_map({128, 128, 128});
  REQUIRE(map.scalar_type() == at::kDouble);
  REQUIRE(map.sizes().vec() == std::vector<int64_t>{128, 128, 128});
  const auto m = map.accessor<double, 3>();
  CHECK(map.max().item<double>() == 1.0);
  CHECK(m[63][63][63] == Approx(1.0).margin(1e-15));
  CHECK(m[64][64][64] == Approx(1.0).margin(1e-15));
  CHECK(m[0][0][0] == Approx(3.8012896e-4).epsilon(1e-7));
  CHECK(m[64][64][0] == Approx(0.0724398).margin(1e-7));
  CHECK(m[64][0][0] == Approx(5.2475184e-3).epsilon(1e-7));
  const std::array<double, 8> profile{0.07244, 0.230213, 0.524226, 0.855345,
                                      1.0,     0.83771,  0.502832, 0.216265};
  for (int64_t i = 0; i < 8; ++i) {
    INFO("index " << 16 * i);
    CHECK(m[64][64][16 * i] == Approx(profile[static_cast<std::size_t>(i)]).margin(6e-6));
  }
  CHECK(map.sum().item<double>() == Approx(314764.4624).margin(1e-3));
  // Separable with sigma = 16 * sqrt(3) and symmetric about 63.5.
  CHECK(m[64][64][0] == Approx(std::exp(-0.5 * std::pow(63.5 / (16 * std::sqrt(3.0)), 2)) /
                               std::exp(-0.5 * std::pow(0.5 / (16 * std::sqrt(3.0)), 2))));
  CHECK(m[5][70][20] == Approx(m[122][57][107]).epsilon(1e-14));
}

TEST_CASE("sliding window geometry matches the reference window counts", "[inference]") {
  const SlidingWindowOptions reference;
  CHECK(segbench::sliding_window_count({128, 128, 128}, reference) == Shape3{1, 1, 1});
  CHECK(segbench::sliding_window_count({200, 300, 310}, reference) == Shape3{2, 4, 4});
  CHECK(segbench::sliding_window_count({96, 250, 250}, reference) == Shape3{1, 3, 3});

  const auto plan = segbench::plan_sliding_window({200, 300, 310}, reference);
  CHECK(plan.stride == Shape3{64, 64, 64});
  CHECK(plan.scored_shape == Shape3{192, 300, 310});
  CHECK(plan.trim_before == Shape3{4, 0, 0});
  CHECK(plan.padded_shape == Shape3{192, 320, 320});
  CHECK(plan.pad_before == Shape3{0, 10, 5});

  const auto small = segbench::plan_sliding_window({96, 250, 250}, reference);
  CHECK(small.scored_shape == Shape3{96, 250, 250});
  CHECK(small.padded_shape == Shape3{128, 256, 256});
  CHECK(small.pad_before == Shape3{16, 3, 3});
}

TEST_CASE("sliding window rejects bad options and volumes", "[inference]") {
  SlidingWindowOptions options;
  options.overlap = 1.0;
  REQUIRE_THROWS_WITH(segbench::sliding_window_count({128, 128, 128}, options),
                      Catch::Contains("expected overlap in [0, 1), found 1"));
  options = SlidingWindowOptions{};
  options.windows_per_batch = 0;
  REQUIRE_THROWS_AS(segbench::sliding_window_count({128, 128, 128}, options),
                    segbench::ConfigError);
  REQUIRE_THROWS_WITH(segbench::sliding_window_count({128, 20, 128}, SlidingWindowOptions{}),
                      Catch::Contains("[128, 20, 128] trims to nothing on axis 1"));

  const auto wrong_shape = [](const at::Tensor& x) { return x.narrow(2, 0, 4); };
  REQUIRE_THROWS_WITH(segbench::sliding_window_inference(wrong_shape, at::zeros({1, 1, 8, 8, 8}),
                                                         at::Tensor(), small_roi(1)),
                      Catch::Contains("returned [1, 1, 4, 8, 8], expected [1, C, 8, 8, 8]"));
  REQUIRE_THROWS_WITH(
      segbench::sliding_window_inference(voxelwise_logits, at::zeros({1, 1, 8, 8, 8}),
                                         at::zeros({1, 1, 8, 8, 9}, at::kByte), small_roi(1)),
      Catch::Contains("expected label shape [1, 1, 8, 8, 8]"));
}

TEST_CASE("sliding window returns one window's logits for a volume of one ROI", "[inference]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(2);
    const at::Tensor image = at::randn({1, 1, 8, 8, 8}).to(device);
    const auto result =
        segbench::sliding_window_inference(voxelwise_logits, image, at::Tensor(), small_roi(1));
    CHECK(result.windows == 1);
    CHECK(result.logits_NCDHW.device() == device);
    CHECK_FALSE(result.label_N1DHW.defined());
    REQUIRE(result.logits_NCDHW.sizes().vec() == std::vector<int64_t>{1, 3, 8, 8, 8});
    CHECK(at::allclose(result.logits_NCDHW, voxelwise_logits(image), 1e-6, 1e-6));
  }
}

TEST_CASE("sliding window blending normalises: a constant predictor gives that constant",
          "[inference]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor image = at::zeros({1, 1, 20, 30, 26}, device);
    int64_t calls = 0;
    int64_t largest_batch = 0;
    const auto constant = [&](const at::Tensor& x) {
      ++calls;
      largest_batch = std::max(largest_batch, x.size(0));
      return at::tensor({0.5f, -1.25f, 3.0f})
          .to(x.device())
          .view({1, 3, 1, 1, 1})
          .expand({x.size(0), 3, 8, 8, 8});
    };
    const auto result =
        segbench::sliding_window_inference(constant, image, at::Tensor(), small_roi(5));
    // Stride 4: 20 -> 4 windows; 30 -> padded 32 -> 7; 26 -> padded 28 -> 6.
    CHECK(segbench::sliding_window_count({20, 30, 26}, small_roi(5)) == Shape3{4, 7, 6});
    CHECK(result.windows == 4 * 7 * 6);
    CHECK(calls == (168 + 4) / 5);
    CHECK(largest_batch == 5);
    REQUIRE(result.logits_NCDHW.sizes().vec() == std::vector<int64_t>{1, 3, 20, 30, 26});
    const at::Tensor logits = result.logits_NCDHW.cpu();
    CHECK(at::allclose(logits.select(1, 0), at::full({1, 20, 30, 26}, 0.5f), 0, 1e-5));
    CHECK(at::allclose(logits.select(1, 1), at::full({1, 20, 30, 26}, -1.25f), 0, 1e-5));
    CHECK(at::allclose(logits.select(1, 2), at::full({1, 20, 30, 26}, 3.0f), 0, 1e-5));
  }
}

TEST_CASE("sliding window trims, pads with -2.2 and puts every window back in place",
          "[inference]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    // Axis 0: 21 % 4 = 1 < 2, trimmed to 20 (0 before, 1 after); axes 1, 2 are padded.
    at::manual_seed(4);
    const at::Tensor image = at::randn({2, 1, 21, 15, 10}).to(device);
    const at::Tensor label = at::randint(0, 3, {2, 1, 21, 15, 10}, at::kByte).to(device);
    bool saw_padding = false;
    const auto predict = [&](const at::Tensor& x) {
      saw_padding = saw_padding || x.eq(-2.2f).any().item<bool>();
      return voxelwise_logits(x);
    };
    for (const int64_t per_batch : {1, 4}) {
      INFO("windows_per_batch " << per_batch);
      const auto result =
          segbench::sliding_window_inference(predict, image, label, small_roi(per_batch));
      const at::Tensor trimmed = image.narrow(2, 0, 20);
      REQUIRE(result.logits_NCDHW.sizes().vec() == std::vector<int64_t>{2, 3, 20, 15, 10});
      CHECK(at::allclose(result.logits_NCDHW, voxelwise_logits(trimmed), 1e-5, 1e-5));
      CHECK(at::equal(result.label_N1DHW, label.narrow(2, 0, 20)));
      CHECK(result.windows == 4 * 3 * 2);  // padded 20 x 16 x 12
    }
    CHECK(saw_padding);
  }
}

TEST_CASE("sliding window blends a window-dependent predictor on the device like on the CPU",
          "[inference]") {
  // A 3x3x3 convolution with zero padding sees each window's borders, so overlapping windows
  // disagree and the result depends on the Gaussian importance map (cached per device).
  at::manual_seed(6);
  const at::Tensor cpu_image = at::randn({1, 1, 20, 16, 12});
  const at::Tensor cpu_weight = at::randn({3, 1, 3, 3, 3});
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const at::Tensor weight = cpu_weight.to(device);
    const auto convolution = [&](const at::Tensor& x) { return at::conv3d(x, weight, {}, 1, 1); };
    const auto result = segbench::sliding_window_inference(convolution, cpu_image.to(device),
                                                           at::Tensor(), small_roi(4));
    CHECK(result.windows == 4 * 3 * 2);  // padded 20 x 16 x 12
    REQUIRE(result.logits_NCDHW.sizes().vec() == std::vector<int64_t>{1, 3, 20, 16, 12});
    CHECK(result.logits_NCDHW.device() == device);
    CHECK(result.logits_NCDHW.isfinite().all().item<bool>());
    cpu.check("blended logits", result.logits_NCDHW, device);
  }
}
