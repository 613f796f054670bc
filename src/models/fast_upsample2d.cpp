#include "segbench/models/fast_upsample2d.hpp"

#include <ATen/ops/conv2d.h>

#include <array>

#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"

namespace segbench {

at::Tensor conv_transpose2d_kernel_stride_as_conv(const at::Tensor& x_NCHW,
                                                  const at::Tensor& weight,
                                                  const at::Tensor& bias) {
  using detail::shape_text;
  SEGBENCH_CHECK(x_NCHW.dim() == 4, ConfigError,
                 "conv_transpose2d_kernel_stride_as_conv: expected a 4-D input (N, C, H, W), "
                 "found shape {}",
                 shape_text(x_NCHW.sizes()));
  SEGBENCH_CHECK(weight.dim() == 4 && weight.size(0) == x_NCHW.size(1) && weight.size(2) > 0 &&
                     weight.size(3) > 0,
                 ConfigError,
                 "conv_transpose2d_kernel_stride_as_conv: expected weight ({}, C_out, kh, kw), "
                 "found {}",
                 x_NCHW.size(1), shape_text(weight.sizes()));
  const int64_t c_in = weight.size(0), c_out = weight.size(1);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  SEGBENCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == c_out), ConfigError,
                 "conv_transpose2d_kernel_stride_as_conv: expected bias ({}), found {}", c_out,
                 shape_text(bias.sizes()));

  // With stride = kernel the output pixel (kh·h + a, kw·w + b) of channel o sees only input
  // pixel (h, w), through weight[:, o, a, b]: a pointwise conv to channels (o, a, b), then a
  // shuffle of those channels into space.
  const at::Tensor pointwise_weight =
      weight.permute({1, 2, 3, 0}).reshape({c_out * kh * kw, c_in, 1, 1});
  at::Tensor pointwise_bias;
  if (bias.defined()) {
    pointwise_bias = bias.unsqueeze(1).expand({c_out, kh * kw}).reshape({c_out * kh * kw});
  }
  // LibTorch 1.13 sends single-threaded 1x1 CPU convs on small batches to im2col + GEMM (slow
  // with the reference BLAS); a dilation, a no-op for a 1x1 kernel, keeps them on oneDNN.
  const int64_t gap = x_NCHW.is_cpu() ? 2 : 1;
  const std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{gap, gap};
  const at::Tensor channels =
      at::conv2d(x_NCHW, pointwise_weight, pointwise_bias, stride, padding, dilation);

  const int64_t n = x_NCHW.size(0), h = x_NCHW.size(2), w = x_NCHW.size(3);
  return channels.reshape({n, c_out, kh, kw, h, w})
      .permute({0, 1, 4, 2, 5, 3})
      .reshape({n, c_out, h * kh, w * kw});
}

}  // namespace segbench
