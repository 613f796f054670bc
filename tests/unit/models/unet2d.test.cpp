// Unet2D: get_unet_params layout, reference parameter counts (fidelity §3.5, §5.1),
// deep-supervision outputs, init, norm variants, and the 2-D fast up-sampling path (fidelity §6).
#include "segbench/models/unet2d.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "catch_torch.hpp"
#include "segbench/error.hpp"
#include "segbench/models/fast_upsample2d.hpp"
#include "segbench/models/module_size.hpp"
#include "support/test_devices.hpp"

namespace {

using segbench::Size2D;
using segbench::Unet2D;
using segbench::Unet2DOptions;
using segbench::test::CpuResults;
using segbench::test::test_devices;

/// A demo-size model: patch 64x64 gives 5 stages (4 halvings), filters 4..32.
Unet2DOptions small_options(bool fast_upsample = true) {
  Unet2DOptions options;
  options.patch = {64, 64};
  options.filters = {4, 8, 16, 32, 32};
  options.fast_upsample = fast_upsample;
  return options;
}

double max_abs_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

std::vector<std::vector<int64_t>> as_lists(const std::vector<Size2D>& sizes) {
  std::vector<std::vector<int64_t>> lists;
  for (const Size2D& s : sizes) lists.push_back({s[0], s[1]});
  return lists;
}

}  // namespace

TEST_CASE("unet2d_layout reproduces get_unet_params", "[models]") {
  using Lists = std::vector<std::vector<int64_t>>;
  SECTION("reference patch [192, 160]: five halvings, all kernels 3x3") {
    const auto layout = segbench::unet2d_layout({192, 160});
    CHECK(as_lists(layout.strides) == Lists{{1, 1}, {2, 2}, {2, 2}, {2, 2}, {2, 2}, {2, 2}});
    CHECK(as_lists(layout.kernels) == Lists(6, {3, 3}));
    CHECK(segbench::unet2d_default_filters(6) == std::vector<int64_t>{32, 64, 128, 256, 512, 512});
  }
  SECTION("demo patch [64, 64]: 64 -> 32 -> 16 -> 8 -> 4, then 4 < 8 stops") {
    const auto layout = segbench::unet2d_layout({64, 64});
    CHECK(as_lists(layout.strides) == Lists{{1, 1}, {2, 2}, {2, 2}, {2, 2}, {2, 2}});
    CHECK(segbench::unet2d_default_filters(5) == std::vector<int64_t>{32, 64, 128, 256, 512});
  }
  SECTION("per-axis: [32, 8] halves W once, then H alone until its spacing is 4x W's") {
    // Hand-run of get_unet_params: sizes [32,8] spacing [1,1] -> stride [2,2]; [16,4] [2,2] ->
    // [2,1]; [8,4] [4,2] -> [2,1]; [4,4] [8,2]: ratio 4 > 2 -> stride [1,1], stop.
    const auto layout = segbench::unet2d_layout({32, 8});
    CHECK(as_lists(layout.strides) == Lists{{1, 1}, {2, 2}, {2, 1}, {2, 1}});
    CHECK(as_lists(layout.kernels) == Lists{{3, 3}, {3, 3}, {3, 3}, {3, 3}});
  }
  SECTION("anisotropic spacing gives 1-pixel kernels on the coarse axis") {
    // spacing [3, 1]: ratio 3 > 2 on H -> stride 1 and kernel 1 on H; W halves 128 -> 4.
    const auto layout = segbench::unet2d_layout({128, 128}, {3.0, 1.0});
    // Hand-run: [128,128] [3,1] -> stride [1,2], kernel [1,3]; then spacings [3,2], [6,4],
    // [12,8], [24,16]: ratio 1.5 -> [2,2] four times, until the 5-halving cap.
    CHECK(as_lists(layout.strides) == Lists{{1, 1}, {1, 2}, {2, 2}, {2, 2}, {2, 2}, {2, 2}});
    // The kernel of halving i + 1 goes to stage i; the bottleneck's is 3x3.
    CHECK(as_lists(layout.kernels) == Lists{{1, 3}, {3, 3}, {3, 3}, {3, 3}, {3, 3}, {3, 3}});
  }
  CHECK(segbench::unet2d_layout({7, 7}).strides.size() == 1);
}

TEST_CASE("Unet2D reference model has the measured parameter counts", "[models]") {
  at::set_num_threads(1);
  Unet2D model;
  CHECK(model->filters() == std::vector<int64_t>{32, 64, 128, 256, 512, 512});
  CHECK(model->min_input_multiple() == Size2D{32, 32});
  CHECK(segbench::count_parameters(*model) == 20'616'948);

  std::map<std::string, int64_t> part_counts;
  for (const auto& child : model->named_children()) {
    part_counts[child.key()] = segbench::count_parameters(*child.value());
  }
  CHECK(part_counts.size() == 6);
  // Hand count: 4 heads 1x1 conv + bias on 64, 128, 256, 512 channels to 4 classes.
  CHECK(part_counts["deep_supervision_heads"] == 3'856);
  CHECK(part_counts["output_block"] == 32 * 4 + 4);
  const auto heads = model->named_parameters();
  const int64_t used_heads = heads["deep_supervision_heads.0.conv.weight"].numel() +
                             heads["deep_supervision_heads.0.conv.bias"].numel() +
                             heads["deep_supervision_heads.1.conv.weight"].numel() +
                             heads["deep_supervision_heads.1.conv.bias"].numel();
  CHECK(used_heads == 776);

  Unet2DOptions no_heads;
  no_heads.deep_supervision = false;
  CHECK(segbench::count_parameters(*Unet2D(no_heads)) == 20'613'092);
}

TEST_CASE("Unet2D parameter names and shapes follow the reference state_dict", "[models]") {
  Unet2D model;
  const auto params = model->named_parameters();
  const std::map<std::string, std::vector<int64_t>> expected{
      {"input_block.conv1.conv.weight", {32, 4, 3, 3}},
      {"input_block.conv1.norm.weight", {32}},
      {"input_block.conv2.norm.bias", {32}},
      {"downsamples.0.conv1.conv.weight", {64, 32, 3, 3}},
      {"downsamples.3.conv2.conv.weight", {512, 512, 3, 3}},
      {"bottleneck.conv1.conv.weight", {512, 512, 3, 3}},
      {"upsamples.0.transp_conv.weight", {512, 512, 2, 2}},
      {"upsamples.0.transp_conv.bias", {512}},
      {"upsamples.1.transp_conv.weight", {512, 256, 2, 2}},
      {"upsamples.1.conv_block.conv1.conv.weight", {256, 512, 3, 3}},
      {"upsamples.4.conv_block.conv2.norm.weight", {32}},
      {"output_block.conv.weight", {4, 32, 1, 1}},
      {"output_block.conv.bias", {4}},
      {"deep_supervision_heads.0.conv.weight", {4, 64, 1, 1}},
      {"deep_supervision_heads.3.conv.weight", {4, 512, 1, 1}},
  };
  for (const auto& [name, shape] : expected) {
    INFO(name);
    const at::Tensor* found = params.find(name);
    REQUIRE(found != nullptr);
    CHECK(found->sizes().vec() == shape);
  }
  CHECK(params.find("input_block.conv1.conv.bias") == nullptr);
  // 22 convs (no bias) + 22 norms (2) + 5 transposed convs (2) + output and 4 heads (2).
  CHECK(params.size() == 22 + 2 * 22 + 2 * 5 + 2 * 5);
  CHECK(model->buffers().empty());  // InstanceNorm2d without running statistics
}

TEST_CASE("Unet2D init: kaiming normal (a = 0.01) convs, zero head biases, unit norms",
          "[models]") {
  at::manual_seed(5);
  Unet2D model;
  const auto params = model->named_parameters();
  // std = sqrt(2 / (1 + 0.01^2)) / sqrt(fan_in); fan_in = 512 * 9 for 2.36 M samples.
  const at::Tensor w = params["downsamples.3.conv2.conv.weight"];
  const double expected_std = std::sqrt(2.0 / (1.0 + 1e-4)) / std::sqrt(512.0 * 9.0);
  CHECK(w.std().item<double>() == Approx(expected_std).epsilon(0.01));
  CHECK(std::abs(w.mean().item<double>()) < 0.01 * expected_std * 5);
  // The output conv is a Conv2d too: fan_in 32.
  const at::Tensor out = params["output_block.conv.weight"];
  CHECK(out.std().item<double>() == Approx(std::sqrt(2.0 / (1.0 + 1e-4) / 32.0)).epsilon(0.3));
  CHECK(params["output_block.conv.bias"].eq(0).all().item<bool>());
  CHECK(params["deep_supervision_heads.1.conv.bias"].eq(0).all().item<bool>());
  CHECK(params["bottleneck.conv2.norm.weight"].eq(1).all().item<bool>());
  CHECK(params["bottleneck.conv2.norm.bias"].eq(0).all().item<bool>());
  // Transposed convs keep PyTorch's kaiming_uniform(a = sqrt 5): bound 1/sqrt(fan_in) with
  // fan_in = weight.size(1) * 2 * 2 = 256 * 4 for upsamples.1.
  const at::Tensor up = params["upsamples.1.transp_conv.weight"];
  const double bound = 1.0 / std::sqrt(256.0 * 4.0);
  CHECK(up.abs().max().item<double>() <= bound);
  CHECK(up.abs().max().item<double>() > 0.99 * bound);
  CHECK(up.std().item<double>() == Approx(bound / std::sqrt(3.0)).epsilon(0.01));
}

TEST_CASE("Unet2D outputs: deep supervision in training mode, main only in eval mode", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(0);
    Unet2D model(small_options());
    CHECK(model->min_input_multiple() == Size2D{16, 16});
    CHECK(segbench::count_parameters(*model->named_children()[5].value()) ==
          (8 * 4 + 4) + (16 * 4 + 4) + (32 * 4 + 4));  // 3 heads on filters 8, 16, 32
    const at::Tensor x = at::randn({2, 4, 64, 64}).to(device);
    model->to(device);

    model->train();
    const std::vector<at::Tensor> outputs = model->forward_all(x);
    REQUIRE(outputs.size() == 3);
    CHECK(outputs[0].sizes().vec() == std::vector<int64_t>{2, 4, 64, 64});
    CHECK(outputs[1].sizes().vec() == std::vector<int64_t>{2, 4, 32, 32});
    CHECK(outputs[2].sizes().vec() == std::vector<int64_t>{2, 4, 16, 16});
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      CHECK(outputs[i].isfinite().all().item<bool>());
      cpu.check("output " + std::to_string(i), outputs[i], device);
    }
    // forward() is the main output of the same computation.
    CHECK(max_abs_difference(model->forward(x), outputs[0]) < 1e-6);

    model->eval();
    const std::vector<at::Tensor> eval_outputs = model->forward_all(x);
    REQUIRE(eval_outputs.size() == 1);
    // Instance norm keeps no running statistics, so eval equals training-mode main output.
    CHECK(max_abs_difference(eval_outputs[0], outputs[0]) < 1e-6);

    Unet2DOptions without = small_options();
    without.deep_supervision = false;
    Unet2D plain(without);
    plain->to(device);
    plain->train();
    CHECK(plain->forward_all(x).size() == 1);
  }
}

TEST_CASE("Unet2D reference model runs at 64x64", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(0);
    Unet2D model;
    model->eval();
    const at::Tensor x = at::randn({1, 4, 64, 64});
    model->to(device);
    at::NoGradGuard no_grad;
    const at::Tensor logits = model->forward(x.to(device));
    CHECK(logits.sizes().vec() == std::vector<int64_t>{1, 4, 64, 64});
    CHECK(logits.isfinite().all().item<bool>());
    cpu.check("logits", logits, device);
  }
}

TEST_CASE("Unet2D norm variants: batch norm keeps running stats, group norm needs 32 | C",
          "[models]") {
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(0);
    Unet2DOptions batch = small_options();
    batch.norm = "batch";
    Unet2D batch_model(batch);
    batch_model->to(device);
    CHECK_FALSE(batch_model->buffers().empty());
    const at::Tensor batch_logits = batch_model->forward(at::randn({2, 4, 16, 16}).to(device));
    CHECK(batch_logits.sizes().vec() == std::vector<int64_t>{2, 4, 16, 16});
    cpu.check("batch norm", batch_logits, device);

    Unet2DOptions group = small_options();
    group.norm = "group";
    REQUIRE_THROWS_WITH(
        Unet2D(group), Catch::Contains("divisible by 32") && Catch::Contains("[4, 8, 16, 32, 32]"));
    group.filters = {32, 32, 64, 64, 64};
    Unet2D group_model(group);
    group_model->to(device);
    CHECK(group_model->buffers().empty());
    const at::Tensor group_logits = group_model->forward(at::randn({1, 4, 16, 16}).to(device));
    CHECK(group_logits.sizes().vec() == std::vector<int64_t>{1, 4, 16, 16});
    cpu.check("group norm", group_logits, device);
  }
}

TEST_CASE("Unet2D rejects bad options and inputs", "[models]") {
  Unet2DOptions wrong_filters = small_options();
  wrong_filters.filters = {4, 8, 16};
  REQUIRE_THROWS_AS(Unet2D(wrong_filters), segbench::ConfigError);
  REQUIRE_THROWS_WITH(Unet2D(wrong_filters), Catch::Contains("5 stages") &&
                                                 Catch::Contains("expected 5 filter sizes") &&
                                                 Catch::Contains("found 3"));
  Unet2DOptions bad_norm = small_options();
  bad_norm.norm = "layer";
  REQUIRE_THROWS_WITH(Unet2D(bad_norm), Catch::Contains("unknown norm 'layer'"));
  Unet2DOptions tiny = small_options();
  tiny.patch = {6, 6};
  REQUIRE_THROWS_WITH(Unet2D(tiny), Catch::Contains("too small"));

  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    Unet2D model(small_options());
    model->to(device);
    REQUIRE_THROWS_WITH(
        model->forward(at::zeros({1, 3, 16, 16}, device)),
        Catch::Contains("expected input (N, 4, H, W)") && Catch::Contains("[1, 3, 16, 16]"));
    REQUIRE_THROWS_WITH(model->forward(at::zeros({1, 4, 16, 24}, device)),
                        Catch::Contains("W = 24") && Catch::Contains("multiple of 16"));
  }
}

TEST_CASE("kernel = stride transposed conv as pointwise conv equals conv_transpose2d", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(7);
    // (kh, kw) = (2, 2) as in the model, (2, 1) for per-axis strides; batch 1 and 3 cover both
    // CPU conv paths.
    for (const Size2D kernel : {Size2D{2, 2}, Size2D{2, 1}, Size2D{3, 2}}) {
      for (const int64_t batch : {int64_t{1}, int64_t{3}}) {
        INFO("kernel " << kernel[0] << "x" << kernel[1] << ", batch " << batch);
        const std::string name =
            std::to_string(kernel[0]) + "x" + std::to_string(kernel[1]) + std::to_string(batch);
        std::vector<at::Tensor> inputs{at::randn({batch, 5, 3, 4}),
                                       at::randn({5, 6, kernel[0], kernel[1]}), at::randn({6})};
        for (at::Tensor& t : inputs) t = t.to(device);
        const auto run = [&](bool fast) {
          std::vector<at::Tensor> leaves;
          for (const at::Tensor& t : inputs) leaves.push_back(t.clone().requires_grad_(true));
          const at::Tensor out =
              fast ? segbench::conv_transpose2d_kernel_stride_as_conv(leaves[0], leaves[1],
                                                                      leaves[2])
                   : at::conv_transpose2d(leaves[0], leaves[1], leaves[2], {kernel[0], kernel[1]});
          const at::Tensor upstream =
              at::linspace(-1.0, 1.0, out.numel(), out.options()).view(out.sizes());
          (out * upstream).sum().backward();
          leaves.insert(leaves.begin(), out.detach());
          return leaves;
        };
        const auto fast = run(true);
        const auto reference = run(false);
        REQUIRE(fast[0].sizes().vec() ==
                std::vector<int64_t>{batch, 6, 3 * kernel[0], 4 * kernel[1]});
        CHECK(max_abs_difference(fast[0], reference[0]) < 1e-5);
        cpu.check(name + " output", fast[0], device);
        for (std::size_t i = 1; i < 4; ++i) {
          INFO("gradient of input " << i);
          CHECK(max_abs_difference(fast[i].grad(), reference[i].grad()) < 1e-4);
          cpu.check(name + " gradient " + std::to_string(i), fast[i].grad(), device);
        }
      }
    }
    // No bias.
    const at::Tensor x = at::randn({2, 3, 2, 2}).to(device);
    const at::Tensor w = at::randn({3, 4, 2, 2}).to(device);
    CHECK(max_abs_difference(segbench::conv_transpose2d_kernel_stride_as_conv(x, w, at::Tensor()),
                             at::conv_transpose2d(x, w, {}, {2, 2})) < 1e-5);
    REQUIRE_THROWS_WITH(
        segbench::conv_transpose2d_kernel_stride_as_conv(x, at::randn({4, 4, 2, 2}).to(device),
                                                         at::Tensor()),
        Catch::Contains("expected weight (3, C_out, kh, kw)") && Catch::Contains("[4, 4, 2, 2]"));
  }
}

TEST_CASE("Unet2D fast and transposed-conv up-sampling agree in forward and gradient", "[models]") {
  at::set_num_threads(1);
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::manual_seed(11);
    Unet2D fast(small_options(true));
    Unet2D reference(small_options(false));
    {
      at::NoGradGuard no_grad;
      const auto source = fast->named_parameters();
      for (auto& item : reference->named_parameters()) item.value().copy_(source[item.key()]);
    }
    fast->to(device);
    reference->to(device);
    const at::Tensor x = at::randn({2, 4, 32, 32}).to(device);
    const std::vector<at::Tensor> fast_out = fast->forward_all(x);
    const std::vector<at::Tensor> reference_out = reference->forward_all(x);
    REQUIRE(fast_out.size() == 3);
    at::Tensor fast_sum = at::zeros({}, device);
    at::Tensor reference_sum = at::zeros({}, device);
    for (std::size_t i = 0; i < fast_out.size(); ++i) {
      CHECK(max_abs_difference(fast_out[i], reference_out[i]) < 1e-4);
      cpu.check("output " + std::to_string(i), fast_out[i], device);
      const at::Tensor upstream = at::randn(fast_out[i].sizes()).to(device);
      fast_sum = fast_sum + (fast_out[i] * upstream).sum();
      reference_sum = reference_sum + (reference_out[i] * upstream).sum();
    }
    fast_sum.backward();
    reference_sum.backward();
    const auto fast_params = fast->named_parameters();
    for (const auto& item : reference->named_parameters()) {
      INFO(item.key());
      const at::Tensor& expected = item.value().grad();
      if (!expected.defined()) {  // heads 2.. are not in the training forward
        CHECK_FALSE(fast_params[item.key()].grad().defined());
        continue;
      }
      const double scale = std::max(1.0, expected.abs().max().item<double>());
      CHECK(max_abs_difference(fast_params[item.key()].grad(), expected) / scale < 1e-3);
      cpu.check(item.key() + " gradient", fast_params[item.key()].grad(), device);
    }
  }
}
