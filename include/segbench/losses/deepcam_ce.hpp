// DeepCAM's class-weighted cross entropy (fidelity §2.3). Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <string_view>

namespace segbench {

/// Class frequencies hard-coded in the reference's train.py (background, tropical cyclone,
/// atmospheric river).
inline constexpr std::array<double, 3> kDeepCamClassFrequencies{
    0.986267818390377, 0.0004578708870701058, 0.01327431072255291};

/// w_c = f_c^(-0.125) = [1.0017299121, 2.6146112240, 1.7164197480].
std::array<double, 3> deepcam_class_weights();

/// The reference's CELoss: per-pixel cross entropy weighted by the class weight of the label,
/// then a plain mean over all N*H*W pixels: sum(w_y * ce) / (N*H*W). This is not PyTorch's
/// weighted mean sum(w_y * ce) / sum(w_y). Weights are float32, as in the reference.
/// logits: floating (N, 3, H, W); label: uint8 or int64 (N, H, W) or (N, 1, H, W) with values in
/// [0, 3). Returns a scalar of the logits' dtype, differentiable in the logits.
at::Tensor deepcam_ce_loss(const at::Tensor& logits_NCHW, const at::Tensor& label);

}  // namespace segbench
