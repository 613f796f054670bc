// Transposed convolution with kernel = stride = 2 and no padding, computed as a 1x1x1
// convolution to 8*C_out channels followed by depth-to-space (fidelity §6). Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

namespace segbench {

/// Equals at::conv_transpose3d(x, weight, bias, /*stride=*/2) for
/// x (N, C_in, D, H, W), weight (C_in, C_out, 2, 2, 2), bias (C_out) or undefined;
/// returns (N, C_out, 2D, 2H, 2W). Differentiable in all three inputs.
at::Tensor conv_transpose3d_k2s2_as_conv(const at::Tensor& x_NCDHW, const at::Tensor& weight,
                                         const at::Tensor& bias);

}  // namespace segbench
