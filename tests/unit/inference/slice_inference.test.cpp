// 2-D validation inference of fidelity §3.8: front padding to whole batches of slices, padding
// dropped, and the same logits as running the 2-D model on every slice.
#include "segbench/inference/slice_inference.hpp"

#include <vector>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

#include <ATen/Parallel.h>

namespace {

using segbench::test::CpuResults;
using segbench::test::test_devices;

/// A fixed 1×1 convolution 3 → 2 channels: each output pixel depends only on its own input.
struct PixelwiseModel {
  at::Tensor weight = at::tensor({0.5f, -1.0f, 2.0f, 1.5f, 0.25f, -0.75f}).view({2, 3, 1, 1});
  at::Tensor bias = at::tensor({0.1f, -0.2f});
  std::vector<at::Tensor> inputs;

  explicit PixelwiseModel(c10::Device device = c10::kCPU) {
    weight = weight.to(device);
    bias = bias.to(device);
  }

  at::Tensor operator()(const at::Tensor& x) {
    inputs.push_back(x.clone());
    return at::conv2d(x, weight, bias);
  }
};

/// The expected logits: the model applied to every slice on its own.
at::Tensor per_slice(PixelwiseModel& model, const at::Tensor& image_CDHW) {
  std::vector<at::Tensor> slices;
  for (std::int64_t z = 0; z < image_CDHW.size(1); ++z)
    slices.push_back(at::conv2d(image_CDHW.select(1, z).unsqueeze(0), model.weight, model.bias));
  return at::stack(slices, 2);  // (1, K, D, H, W)
}

}  // namespace

TEST_CASE("slice inference pads the front to whole batches and drops the padding", "[inference]") {
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    at::manual_seed(11);
    const at::Tensor image =
        (at::randn({3, 5, 4, 6}) + 3.0).to(device);  // no zero slices of its own
    PixelwiseModel model(device);
    const at::Tensor logits = segbench::slice_inference(
        image, [&](const at::Tensor& x) { return model(x); }, 4);
    REQUIRE(logits.sizes() == at::IntArrayRef{1, 2, 5, 4, 6});
    REQUIRE(logits.is_contiguous());
    REQUIRE(logits.device() == device);
    cpu.check("logits", logits, device);
    REQUIRE(at::allclose(logits, per_slice(model, image), 1e-5, 1e-6));

    // D = 5, 4 per batch: 3 zero slices in front, then slices 0..4 in two batches of 4.
    REQUIRE(model.inputs.size() == 2);
    for (const at::Tensor& batch : model.inputs)
      REQUIRE(batch.sizes() == at::IntArrayRef{4, 3, 4, 6});
    REQUIRE(model.inputs[0].narrow(0, 0, 3).eq(0).all().item<bool>());
    REQUIRE(model.inputs[0][3].equal(image.select(1, 0)));
    for (std::int64_t z = 1; z < 5; ++z) REQUIRE(model.inputs[1][z - 1].equal(image.select(1, z)));
  }
}

TEST_CASE("slice inference: depth a multiple of the batch, shorter than it, and 5-D input",
          "[inference]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(12);
    for (const std::int64_t depth : {8, 1, 7}) {
      const at::Tensor image = at::randn({1, 3, depth, 3, 2}).to(device);
      PixelwiseModel model(device);
      const at::Tensor logits = segbench::slice_inference(
          image, [&](const at::Tensor& x) { return model(x); }, 4);
      INFO("depth " << depth);
      REQUIRE(logits.sizes() == at::IntArrayRef{1, 2, depth, 3, 2});
      REQUIRE(at::allclose(logits, per_slice(model, image[0]), 1e-5, 1e-6));
      REQUIRE(model.inputs.size() == static_cast<std::size_t>((depth + 3) / 4));
      const std::int64_t pad = (4 - depth % 4) % 4;
      REQUIRE(model.inputs.front().narrow(0, 0, pad).eq(0).all().item<bool>());
    }
    // The reference batch of 64: D = 70 → 58 padding slices, two calls.
    const at::Tensor image = at::randn({3, 70, 2, 2}).to(device);
    PixelwiseModel model(device);
    const at::Tensor logits =
        segbench::slice_inference(image, [&](const at::Tensor& x) { return model(x); });
    REQUIRE(model.inputs.size() == 2);
    REQUIRE(model.inputs[0].narrow(0, 0, 58).eq(0).all().item<bool>());
    REQUIRE(at::allclose(logits, per_slice(model, image), 1e-5, 1e-6));
  }
}

TEST_CASE("slice inference runs without autograd and checks shapes", "[inference]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    PixelwiseModel model(device);
    model.weight.requires_grad_(true);
    const at::Tensor image = at::randn({3, 2, 4, 4}).to(device);
    const at::Tensor logits = segbench::slice_inference(
        image, [&](const at::Tensor& x) { return model(x); }, 2);
    REQUIRE(!logits.requires_grad());

    const auto shrinking = [](const at::Tensor& x) { return x.narrow(2, 0, 2); };
    REQUIRE_THROWS_WITH(
        segbench::slice_inference(image, shrinking, 2),
        Catch::Contains("predict on slices [2, 3, 4, 4] must return logits (2, K, 4, 4), found "
                        "[2, 3, 2, 4]"));
    REQUIRE_THROWS_AS(segbench::slice_inference(at::randn({3, 4, 4}).to(device), shrinking, 2),
                      segbench::DataError);
    REQUIRE_THROWS_AS(segbench::slice_inference(image, shrinking, 0), segbench::ConfigError);
  }
}
