#include "segbench/models/fast_upsample.hpp"
#include "segbench/detail/shape_text.hpp"

#include <ATen/ops/conv3d.h>
#include <fmt/ranges.h>

#include <fmt/format.h>

#include <array>
#include <string>

#include "segbench/error.hpp"

namespace segbench {
namespace {

using detail::shape_text;

}  // namespace

at::Tensor conv_transpose3d_k2s2_as_conv(const at::Tensor& x_NCDHW, const at::Tensor& weight,
                                         const at::Tensor& bias) {
  SEGBENCH_CHECK(x_NCDHW.dim() == 5, ConfigError,
                 "conv_transpose3d_k2s2_as_conv: expected a 5-D input (N, C, D, H, W), found {}-D",
                 x_NCDHW.dim());
  SEGBENCH_CHECK(weight.dim() == 5 && weight.size(0) == x_NCDHW.size(1) && weight.size(2) == 2 &&
                     weight.size(3) == 2 && weight.size(4) == 2,
                 ConfigError,
                 "conv_transpose3d_k2s2_as_conv: expected weight ({}, C_out, 2, 2, 2), found {}",
                 x_NCDHW.size(1), shape_text(weight.sizes()));
  const int64_t c_in = weight.size(0);
  const int64_t c_out = weight.size(1);
  SEGBENCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == c_out), ConfigError,
                 "conv_transpose3d_k2s2_as_conv: expected bias ({}), found {}", c_out,
                 shape_text(bias.sizes()));

  // Output voxel (2d+a, 2h+b, 2w+c) of channel o only sees input voxel (d, h, w), through
  // weight[:, o, a, b, c]: a pointwise conv producing channel (o, a, b, c), then a shuffle.
  const at::Tensor pointwise_weight =
      weight.permute({1, 2, 3, 4, 0}).reshape({c_out * 8, c_in, 1, 1, 1});
  at::Tensor pointwise_bias;
  if (bias.defined()) pointwise_bias = bias.unsqueeze(1).expand({c_out, 8}).reshape({c_out * 8});
  // With one thread, LibTorch 1.13 sends 1x1x1 CPU convs to im2col + GEMM, which is slow with
  // the reference BLAS; a dilation (a no-op for a 1x1x1 kernel) keeps them on oneDNN.
  const int64_t gap = x_NCDHW.is_cpu() ? 2 : 1;
  const std::array<int64_t, 3> stride{1, 1, 1}, padding{0, 0, 0}, dilation{gap, gap, gap};
  const at::Tensor shuffled =
      at::conv3d(x_NCDHW, pointwise_weight, pointwise_bias, stride, padding, dilation);

  const int64_t n = x_NCDHW.size(0), d = x_NCDHW.size(2), h = x_NCDHW.size(3), w = x_NCDHW.size(4);
  return shuffled.reshape({n, c_out, 2, 2, 2, d, h, w})
      .permute({0, 1, 5, 2, 6, 3, 7, 4})
      .reshape({n, c_out, 2 * d, 2 * h, 2 * w});
}

}  // namespace segbench
