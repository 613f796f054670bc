// 2-D transposed convolution with kernel = stride and no padding, computed as a 1x1 convolution
// to (kh·kw)·C_out channels followed by depth-to-space (fidelity §6; the 2-D twin of
// fast_upsample.hpp). Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

namespace segbench {

/// Equals at::conv_transpose2d(x, weight, bias, /*stride=*/{kh, kw}) for
/// x (N, C_in, H, W), weight (C_in, C_out, kh, kw) (the ConvTranspose2d layout), bias (C_out) or
/// undefined; returns (N, C_out, kh·H, kw·W). Differentiable in all three inputs.
at::Tensor conv_transpose2d_kernel_stride_as_conv(const at::Tensor& x_NCHW,
                                                  const at::Tensor& weight, const at::Tensor& bias);

}  // namespace segbench
