// Unet3D: reference layout and parameter counts (fidelity §1.3, §5.1), MLLOG initialization groups
// (fidelity §1.9), the fast up-sampling path (fidelity §6) and input checks.
#include "segbench/models/unet3d.hpp"
#include "segbench/models/module_size.hpp"

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "segbench/models/fast_upsample.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::Unet3D;
using segbench::Unet3DOptions;
using segbench::test::CpuResults;
using segbench::test::test_devices;

Unet3DOptions small_options(bool fast_upsample) {
  Unet3DOptions options;
  options.filters = {4, 8, 16};
  options.fast_upsample = fast_upsample;
  return options;
}

double max_abs_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST_CASE("Unet3D reference model has the measured parameter counts", "[models]") {
  at::set_num_threads(1);
  Unet3D model;
  CHECK(segbench::count_parameters(*model) == 31'190'243);
  CHECK(model->min_input_multiple() == 32);
  CHECK(model->buffers().empty());

  std::map<std::string, int64_t> part_counts;
  for (const auto& child : model->named_children()) {
    part_counts[child.key()] = segbench::count_parameters(*child.value());
  }
  CHECK(part_counts.size() == 5);
  CHECK(part_counts["input_block"] == 28'640);
  CHECK(part_counts["downsample"] == 8'463'360);
  CHECK(part_counts["bottleneck"] == 5'530'880);
  CHECK(part_counts["upsample"] == 17'167'264);
  CHECK(part_counts["output"] == 99);
}

TEST_CASE("Unet3D parameter names and shapes follow the reference state_dict", "[models]") {
  Unet3D model;
  const auto params = model->named_parameters();
  const std::map<std::string, std::vector<int64_t>> expected{
      {"input_block.conv1.0.weight", {32, 1, 3, 3, 3}},
      {"input_block.conv1.1.weight", {32}},
      {"input_block.conv2.1.bias", {32}},
      {"downsample.0.conv1.0.weight", {64, 32, 3, 3, 3}},
      {"downsample.3.conv2.0.weight", {320, 320, 3, 3, 3}},
      {"bottleneck.conv1.0.weight", {320, 320, 3, 3, 3}},
      {"upsample.0.upsample_conv.0.weight", {320, 320, 2, 2, 2}},
      {"upsample.0.upsample_conv.0.bias", {320}},
      {"upsample.1.upsample_conv.0.weight", {320, 256, 2, 2, 2}},
      {"upsample.1.conv1.0.weight", {256, 512, 3, 3, 3}},
      {"upsample.4.conv2.1.weight", {32}},
      {"output.conv.0.weight", {3, 32, 1, 1, 1}},
      {"output.conv.0.bias", {3}},
  };
  for (const auto& [name, shape] : expected) {
    INFO(name);
    const at::Tensor* found = params.find(name);
    REQUIRE(found != nullptr);
    CHECK(found->sizes().vec() == shape);
  }
  // No conv bias next to a normalization: 28 conv layers, only deconvs and output have bias.
  CHECK(params.find("input_block.conv1.0.bias") == nullptr);
  CHECK(params.size() == 22 + 2 * 22 + 2 * 5 + 2);  // conv, norm, deconv, output
}

TEST_CASE("Unet3D initialization groups are the 50 MLLOG tensors in reference order", "[models]") {
  Unet3D model;
  std::vector<std::string> expected;
  const auto conv_block = [&](const std::string& prefix) {
    for (const char* block : {"_block_0", "_block_1"}) {
      expected.push_back(prefix + block + "_conv");
      expected.push_back(prefix + block + "_instancenorm");
    }
  };
  expected.push_back("input_block_0_conv");
  expected.push_back("input_block_0_instancenorm");
  expected.push_back("input_block_1_conv");
  expected.push_back("input_block_1_instancenorm");
  for (int i = 0; i <= 4; ++i) conv_block(fmt::format("down{}", i));
  for (int i = 0; i <= 4; ++i) {
    expected.push_back(fmt::format("up{}_deconv", i));
    conv_block(fmt::format("up{}", i));
  }
  expected.push_back("output_conv");
  REQUIRE(expected.size() == 50);

  const auto groups = model->initialization_groups();
  REQUIRE(groups.size() == 50);
  int64_t covered = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    CHECK(groups[i].first == expected[i]);
    const bool plain_conv = groups[i].first.ends_with("_conv") && groups[i].first != "output_conv";
    CHECK(groups[i].second.size() == (plain_conv ? 1u : 2u));
    for (const at::Tensor& t : groups[i].second) covered += t.numel();
  }
  CHECK(covered == 31'190'243);  // every parameter belongs to exactly one group
  CHECK(groups[24].second[0].sizes().vec() == std::vector<int64_t>{320, 320, 2, 2, 2});
}

TEST_CASE("Unet3D default init: norm weight 1 / bias 0, convs within the kaiming bound",
          "[models]") {
  at::manual_seed(3);
  Unet3D model(small_options(true));
  const auto params = model->named_parameters();
  CHECK(params["input_block.conv1.1.weight"].eq(1).all().item<bool>());
  CHECK(params["input_block.conv1.1.bias"].eq(0).all().item<bool>());
  // kaiming_uniform(a=sqrt(5)) bound = 1/sqrt(fan_in); fan_in = 4 * 27 for downsample.0.conv1.
  const double bound = 1.0 / std::sqrt(4.0 * 27.0);
  const at::Tensor w = params["downsample.0.conv1.0.weight"];
  CHECK(w.abs().max().item<double>() <= bound);
  CHECK(w.abs().max().item<double>() > 0.8 * bound);
}

TEST_CASE("Unet3D small config maps 1x1x16^3 to 1x3x16^3 logits", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(0);
    Unet3D model(small_options(true));
    CHECK(model->min_input_multiple() == 8);
    const at::Tensor x = at::randn({1, 1, 16, 16, 16});
    model->to(device);
    const at::Tensor logits = model->forward(x.to(device));
    CHECK(logits.device() == device);
    CHECK(logits.sizes().vec() == std::vector<int64_t>{1, 3, 16, 16, 16});
    CHECK(logits.isfinite().all().item<bool>());
    CHECK(logits.std().item<double>() > 0.0);
    cpu.check("logits", logits, device);
  }
}

TEST_CASE("Unet3D reference model runs at 32^3", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(0);
    Unet3D model;
    const at::Tensor x = at::randn({1, 1, 32, 32, 32});
    model->to(device);
    at::NoGradGuard no_grad;
    const at::Tensor logits = model->forward(x.to(device));
    CHECK(logits.sizes().vec() == std::vector<int64_t>{1, 3, 32, 32, 32});
    CHECK(logits.isfinite().all().item<bool>());
    cpu.check("logits", logits, device);
  }
}

TEST_CASE("Unet3D rejects inputs that are not a multiple of 2^stages", "[models]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    Unet3D model(small_options(true));
    model->to(device);
    const auto zeros = [&](at::IntArrayRef shape) { return at::zeros(shape, device); };
    REQUIRE_THROWS_AS(model->forward(zeros({1, 1, 12, 16, 16})), segbench::ConfigError);
    REQUIRE_THROWS_WITH(model->forward(zeros({1, 1, 16, 16, 20})),
                        Catch::Contains("[1, 1, 16, 16, 20]") && Catch::Contains("multiple of 8"));
    REQUIRE_THROWS_WITH(
        model->forward(zeros({1, 2, 16, 16, 16})),
        Catch::Contains("expected input (N, 1, D, H, W)") && Catch::Contains("[1, 2, 16, 16, 16]"));
  }
}

TEST_CASE("Unet3D rejects unknown options", "[models]") {
  Unet3DOptions options = small_options(true);
  options.normalization = "groupnorm";
  REQUIRE_THROWS_WITH(Unet3D(options), Catch::Contains("unknown normalization 'groupnorm'"));
  options = small_options(true);
  options.activation = "gelu";
  REQUIRE_THROWS_AS(Unet3D(options), segbench::ConfigError);
  options = small_options(true);
  options.filters = {};
  REQUIRE_THROWS_WITH(Unet3D(options), Catch::Contains("found 0"));
}

TEST_CASE("Unet3D normalization and activation variants", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(1);
    const at::Tensor x = at::randn({2, 1, 8, 8, 8}).to(device);

    Unet3DOptions none = small_options(true);
    none.normalization = "none";
    Unet3D plain(none);
    plain->to(device);
    CHECK(plain->named_parameters().find("input_block.conv1.0.bias") != nullptr);
    CHECK(plain->initialization_groups().size() == 2 + 3 * 2 + 3 * 3 + 1);  // conv layers only
    const at::Tensor plain_logits = plain->forward(x);
    CHECK(plain_logits.sizes().vec() == std::vector<int64_t>{2, 3, 8, 8, 8});
    cpu.check("no normalization", plain_logits, device);

    Unet3DOptions batch = small_options(true);
    batch.normalization = "batchnorm";
    Unet3D batch_model(batch);
    batch_model->to(device);
    CHECK(segbench::count_parameters(*batch_model) ==
          segbench::count_parameters(*Unet3D(small_options(true))));
    CHECK(!batch_model->buffers().empty());  // running statistics
    CHECK(batch_model->initialization_groups()[1].first == "input_block_0_batchnorm");
    const at::Tensor batch_logits = batch_model->forward(x);
    CHECK(batch_logits.isfinite().all().item<bool>());
    cpu.check("batchnorm", batch_logits, device);
    cpu.check("batchnorm running mean",
              batch_model->named_buffers()["input_block.conv1.1.running_mean"], device);

    Unet3DOptions leaky = small_options(true);
    leaky.activation = "leaky_relu";
    at::manual_seed(5);
    Unet3D leaky_model(leaky);
    at::manual_seed(5);
    Unet3D relu_model(small_options(true));
    leaky_model->to(device);
    relu_model->to(device);
    CHECK(max_abs_difference(leaky_model->forward(x), relu_model->forward(x)) > 1e-6);
  }
}

TEST_CASE("k2 s2 transposed conv as pointwise conv equals conv_transpose3d", "[models]") {
  at::set_num_threads(1);
  at::manual_seed(7);
  // Batch 2 runs on oneDNN, batch 1 of this size on ATen's native kernels.
  const int64_t batch = GENERATE(1, 2);
  const std::vector<at::Tensor> cpu_inputs{at::randn({batch, 5, 3, 4, 2}),
                                           at::randn({5, 6, 2, 2, 2}), at::randn({6})};
  const at::Tensor cpu_upstream = at::randn({batch, 6, 6, 8, 4});
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    std::vector<at::Tensor> inputs;
    for (const at::Tensor& t : cpu_inputs) inputs.push_back(t.to(device));
    const at::Tensor upstream = cpu_upstream.to(device);
    const auto run = [&](bool fast) {
      std::vector<at::Tensor> leaves;
      for (const at::Tensor& t : inputs) leaves.push_back(t.clone().requires_grad_(true));
      const at::Tensor out =
          fast ? segbench::conv_transpose3d_k2s2_as_conv(leaves[0], leaves[1], leaves[2])
               : at::conv_transpose3d(leaves[0], leaves[1], leaves[2], 2);
      (out * upstream).sum().backward();
      leaves.insert(leaves.begin(), out.detach());
      return leaves;
    };
    const auto reference = run(false);
    const auto fast = run(true);
    REQUIRE(fast[0].sizes().vec() == std::vector<int64_t>{batch, 6, 6, 8, 4});
    CHECK(max_abs_difference(fast[0], reference[0]) < 1e-5);
    cpu.check("output", fast[0], device);
    for (std::size_t i = 1; i < 4; ++i) {
      INFO("gradient of input " << i);
      CHECK(max_abs_difference(fast[i].grad(), reference[i].grad()) < 1e-4);
      cpu.check("gradient " + std::to_string(i), fast[i].grad(), device);
    }
    CHECK_THROWS_WITH(
        segbench::conv_transpose3d_k2s2_as_conv(inputs[0], inputs[1].narrow(2, 0, 1), inputs[2]),
        Catch::Contains("expected weight (5, C_out, 2, 2, 2), found [5, 6, 1, 2, 2]"));
  }
}

TEST_CASE("Unet3D fast and transposed-conv up-sampling agree in forward and gradient", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(11);
    Unet3D fast(small_options(true));
    at::manual_seed(11);
    Unet3D reference(small_options(false));
    const at::Tensor x = at::randn({2, 1, 16, 16, 16}).to(device);
    fast->to(device);
    reference->to(device);

    const at::Tensor fast_out = fast->forward(x);
    const at::Tensor reference_out = reference->forward(x);
    CHECK(max_abs_difference(fast_out, reference_out) < 1e-5);
    cpu.check("logits", fast_out, device);

    const at::Tensor upstream = at::randn(fast_out.sizes()).to(device);
    (fast_out * upstream).sum().backward();
    (reference_out * upstream).sum().backward();
    const auto fast_params = fast->named_parameters();
    const auto reference_params = reference->named_parameters();
    REQUIRE(fast_params.size() == reference_params.size());
    for (const auto& item : reference_params) {
      INFO(item.key());
      const at::Tensor& expected = item.value().grad();
      const at::Tensor& found = fast_params[item.key()].grad();
      REQUIRE(found.defined());
      const double scale = std::max(1.0, expected.abs().max().item<double>());
      CHECK(max_abs_difference(found, expected) < 1e-4 * scale);
      cpu.check(item.key() + " gradient", found, device);
    }
  }
}
