// DeepLabv3+ of DeepCAM (fidelity §2.2): sizes, names, initialisation, forward shape, errors.
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/models/module_size.hpp"

#include <ATen/Parallel.h>

#include <cmath>
#include <memory>
#include <string>

#include "catch_torch.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::test::CpuResults;
using segbench::test::test_devices;

at::Tensor parameter(const torch::nn::Module& module, const std::string& name) {
  const auto named = module.named_parameters();
  const at::Tensor* found = named.find(name);
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("DeepLabv3+ at width 1 has the reference's sizes", "[models]") {
  at::set_num_threads(1);
  segbench::DeepLabV3Plus model;
  CHECK(segbench::count_parameters(*model) == 56'454'720);
  CHECK(model->batch_norm_count() == 76);
  CHECK(segbench::count_buffer_elements(*model) == 97'836);
  // Per-part counts of fidelity §2.2.
  const auto children = model->named_children();
  CHECK(segbench::count_parameters(*children["xception_features"]) == 37'778'400);
  CHECK(segbench::count_parameters(*children["bottleneck"]) == 15'535'104);
  CHECK(segbench::count_parameters(*children["conv2"]) == 6'144);
  CHECK(segbench::count_parameters(*children["bn2"]) == 96);
  CHECK(segbench::count_parameters(*children["upsample"]) == 3'134'976);

  // State-dict names of the reference.
  CHECK(parameter(*model, "xception_features.block1.rep.0.pointwise.weight").sizes() ==
        at::IntArrayRef({128, 64, 1, 1}));
  CHECK(parameter(*model, "xception_features.block20.rep.5.conv1.weight").sizes() ==
        at::IntArrayRef({1024, 1, 3, 3}));
  CHECK(parameter(*model, "bottleneck.global_avg_pool.global_average_pool.2.weights").sizes() ==
        at::IntArrayRef({256, 1, 1}));
  CHECK(parameter(*model, "upsample.conv1.6.bias").sizes() == at::IntArrayRef({256}));
  CHECK(parameter(*model, "upsample.last_deconv.0.weight").sizes() ==
        at::IntArrayRef({256, 3, 3, 3}));
  CHECK(model->named_buffers().find("xception_features.bn1.bn.running_var") != nullptr);

  // Initialisation: kaiming normal (fan_in, gain sqrt 2) in the encoder and ASPP branches.
  const at::Tensor middle = parameter(*model, "xception_features.block4.rep.3.pointwise.weight");
  CHECK(middle.std().item<double>() == Approx(std::sqrt(2.0 / 728)).epsilon(0.01));
  CHECK(std::abs(middle.mean().item<double>()) < 1e-3);
  const at::Tensor aspp = parameter(*model, "bottleneck.aspp2.atrous_convolution.weight");
  CHECK(aspp.std().item<double>() == Approx(std::sqrt(2.0 / (2048 * 9))).epsilon(0.01));
  // PyTorch's default (kaiming uniform, a = sqrt 5: bound 1/sqrt(fan_in)) elsewhere.
  const at::Tensor decoder = parameter(*model, "upsample.conv1.0.weight");
  const double bound = 1.0 / std::sqrt(304.0 * 9);
  CHECK(decoder.abs().max().item<double>() <= bound);
  CHECK(decoder.std().item<double>() == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  const at::Tensor pooling =
      parameter(*model, "bottleneck.global_avg_pool.global_average_pool.1.weight");
  CHECK(pooling.abs().max().item<double>() <= 1.0 / std::sqrt(2048.0));
  CHECK(parameter(*model, "xception_features.bn5.bn.weight").eq(1).all().item<bool>());
  CHECK(parameter(*model, "xception_features.bn5.bn.bias").eq(0).all().item<bool>());
  CHECK(parameter(*model, "bottleneck.global_avg_pool.global_average_pool.2.weights")
            .eq(1)
            .all()
            .item<bool>());
}

TEST_CASE("DeepLabv3+ forward and backward at a demo width", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(0);
    segbench::DeepLabV3Plus model(segbench::DeepLabV3PlusOptions{.width = 0.125});
    CHECK(model->batch_norm_count() == 76);
    const at::Tensor x = at::randn({2, 16, 32, 48}).to(device);
    model->to(device);
    const at::Tensor logits = model->forward(x);
    CHECK(logits.sizes() == at::IntArrayRef({2, 3, 32, 48}));
    CHECK(at::isfinite(logits).all().item<bool>());
    cpu.check("logits", logits, device);
    logits.square().mean().backward();
    for (const auto& p : model->named_parameters()) {
      INFO(p.key());
      REQUIRE(p.value().grad().defined());
    }
    cpu.check("first convolution's gradient",
              parameter(*model, "xception_features.conv1.weight").grad(), device);
    // A training forward updated the running statistics.
    CHECK(model->named_buffers()["xception_features.bn1.bn.num_batches_tracked"].item<int64_t>() ==
          1);
    cpu.check("running mean", model->named_buffers()["xception_features.bn1.bn.running_mean"],
              device);

    // Eval mode is deterministic and independent of the batch composition.
    model->eval();
    const at::Tensor a = model->forward(x);
    const at::Tensor b = model->forward(x.narrow(0, 1, 1));
    CHECK(at::allclose(a.narrow(0, 1, 1), b, 1e-4, 1e-5));
  }
}

TEST_CASE("DeepLabv3+ validates options and input shapes", "[models]") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(segbench::DeepLabV3Plus(segbench::DeepLabV3PlusOptions{.width = 0.0}),
                      Contains("expected a width in (0, 16], found 0"));
  REQUIRE_THROWS_AS(segbench::DeepLabV3Plus(segbench::DeepLabV3PlusOptions{.n_classes = 0}),
                    segbench::ConfigError);
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    segbench::DeepLabV3Plus model(segbench::DeepLabV3PlusOptions{.in_channels = 2, .width = 0.01});
    model->to(device);
    REQUIRE_THROWS_WITH(model->forward(at::zeros({1, 2, 40, 48}, device)),
                        Contains("input shape [1, 2, 40, 48] has spatial size 40 on axis 2") &&
                            Contains("positive multiple of 16"));
    REQUIRE_THROWS_WITH(model->forward(at::zeros({1, 3, 32, 32}, device)),
                        Contains("expected input (N, 2, H, W), found shape [1, 3, 32, 32]"));
    // Width 0.01 rounds every channel count to at least 1 and still runs.
    model->eval();
    CHECK(model->forward(at::zeros({1, 2, 16, 16}, device)).sizes() ==
          at::IntArrayRef({1, 3, 16, 16}));
  }
}

TEST_CASE("DeepLabv3+ with BatchNorm synchronised over a group of one equals plain BatchNorm",
          "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(3);
    segbench::DeepLabV3Plus plain(segbench::DeepLabV3PlusOptions{.width = 0.125});
    segbench::DeepLabV3Plus synced(segbench::DeepLabV3PlusOptions{.width = 0.125});
    {
      torch::NoGradGuard no_grad;
      const auto source = plain->named_parameters();
      for (auto& p : synced->named_parameters()) p.value().copy_(source[p.key()]);
    }
    plain->to(device);
    synced->to(device);
    synced->set_batchnorm_group(
        std::make_shared<segbench::AnyContext>(segbench::SingleProcessContext{}));
    const at::Tensor x = (at::randn({2, 16, 32, 48}) * 2.0 + 0.5).to(device);
    const at::Tensor a = plain->forward(x);
    const at::Tensor b = synced->forward(x);
    CHECK(at::allclose(a, b, 1e-3, 1e-4));
    cpu.check("synchronised logits", b, device);
    a.square().mean().backward();
    b.square().mean().backward();
    const auto synced_params = synced->named_parameters();
    for (const auto& p : plain->named_parameters()) {
      // Float rounding differs (group moments in double) and grows through 76 BatchNorms on the
      // way back to the first convolutions: compare against each gradient's own scale. Measured
      // up to 1.2e-4 of it on one Xeon (2.4e-5 on another); a broken backward allreduce gives
      // differences of the gradient's own size.
      const at::Tensor& g = p.value().grad();
      const double max_diff = (g - synced_params[p.key()].grad()).abs().max().item<double>();
      INFO(p.key() << ": max difference " << max_diff << ", max |grad| "
                   << g.abs().max().item<double>());
      CHECK(max_diff <= 3e-4 * g.abs().max().item<double>() + 1e-8);
    }
    const auto synced_buffers = synced->named_buffers();
    for (const auto& buffer : plain->named_buffers()) {
      INFO(buffer.key());
      CHECK(at::allclose(buffer.value().to(at::kDouble),
                         synced_buffers[buffer.key()].to(at::kDouble), 1e-4, 1e-6));
    }
    CHECK(synced_buffers["xception_features.bn1.bn.num_batches_tracked"].item<int64_t>() == 1);

    // Evaluation uses the running statistics: no group traffic, same result.
    plain->eval();
    synced->eval();
    CHECK(at::allclose(plain->forward(x), synced->forward(x), 1e-3, 1e-4));

    // nullptr restores per-rank BatchNorm.
    synced->train();
    synced->set_batchnorm_group(nullptr);
    CHECK(synced->forward(x).sizes() == a.sizes());
  }
}
