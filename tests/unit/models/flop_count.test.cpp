// forward_flops against hand computations on tiny layers, and the GPU peak table.
#include "catch_torch.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "segbench/models/flop_count.hpp"
#include "segbench/models/unet3d.hpp"

using namespace segbench;

TEST_CASE("forward_flops counts convolutions, transposed convolutions and products by hand",
          "[models]") {
  torch::nn::Conv3d conv(torch::nn::Conv3dOptions(1, 2, 3).padding(1));
  torch::nn::ConvTranspose3d up(torch::nn::ConvTranspose3dOptions(2, 1, 2).stride(2));
  torch::nn::Conv3d strided(torch::nn::Conv3dOptions(1, 4, 2).stride(2).bias(false));
  torch::nn::Linear linear(6, 5);
  const at::Tensor x = at::randn({3, 1, 4, 4, 4});

  // Conv3d 1→2, 3³ kernel, padding 1: 54 weights × 3 batch × 4³ outputs × 2.
  CHECK(forward_flops([&] { conv->forward(x); }) == 2 * 54 * 3 * 64);
  // ConvTranspose3d 2→1, 2³ kernel, stride 2 on 2×4³ inputs: 16 weights × 3 × 4³ inputs × 2
  // (8³ outputs: counting output positions would give 8 times more).
  const at::Tensor h = at::randn({3, 2, 4, 4, 4});
  CHECK(forward_flops([&] { up->forward(h); }) == 2 * 16 * 3 * 64);
  // Conv3d 1→4, 2³ kernel, stride 2: 32 weights × 3 × 2³ outputs × 2.
  CHECK(forward_flops([&] { strided->forward(x); }) == 2 * 32 * 3 * 8);
  // Linear 6→5 on 7 rows (addmm), and a batched product 2×(3×4)(4×5).
  CHECK(forward_flops([&] { linear->forward(at::randn({7, 6})); }) == 2 * 7 * 6 * 5);
  CHECK(forward_flops([&] {
          at::bmm(at::randn({2, 3, 4}), at::randn({2, 4, 5}));
        }) == 2 * 2 * 3 * 4 * 5);
  // Element-wise work is not counted; the sum of a sequence is.
  CHECK(forward_flops([&] { (x * 2 + 1).relu(); }) == 0);
  CHECK(forward_flops([&] { up->forward(conv->forward(x)); }) == 2 * 54 * 3 * 64 + 2 * 16 * 3 * 64);
}

TEST_CASE("forward_flops of the 3D U-Net grows with the volume and the batch", "[models]") {
  Unet3D model(Unet3DOptions{.filters = {2, 4, 8}});
  model->eval();
  at::NoGradGuard no_grad;
  const auto flops = [&](int64_t batch, int64_t side) {
    return forward_flops([&] { model->forward(at::randn({batch, 1, side, side, side})); });
  };
  const int64_t one = flops(1, 16);
  CHECK(one > 0);
  CHECK(flops(2, 16) == 2 * one);
  CHECK(flops(1, 32) == 8 * one);  // every layer's positions scale with the volume
}

TEST_CASE("device_peak names the dense tensor-core peaks of H100 and H200", "[models]") {
  const auto sxm = device_peak("NVIDIA H100 80GB HBM3");
  REQUIRE(sxm);
  CHECK(sxm->bf16 == Approx(989.4e12));
  CHECK(sxm->tf32 == Approx(494.7e12));
  CHECK(device_peak("NVIDIA H100 PCIe")->bf16 == Approx(756.5e12));
  CHECK(device_peak("NVIDIA H200")->name == "H200 SXM");
  CHECK(device_peak("NVIDIA H200 NVL")->tf32 == Approx(417.5e12));
  CHECK_FALSE(device_peak("NVIDIA A100-SXM4-80GB"));
  CHECK(training_step_flops(10) == 30);
}
