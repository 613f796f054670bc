// The nnU-Net loss of the BraTS benchmark (fidelity §3.6): MONAI-style batch Dice loss plus
// cross-entropy, and its deep-supervision weighting. Tensor tier.
// Legend: N batch, C classes, H W spatial (any number of spatial axes is accepted).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <vector>

namespace segbench {

/// MONAI DiceLoss smoothing, added to numerator and denominator.
inline constexpr double kNnunetDiceSmoothing = 1e-5;

/// DiceLoss(include_background=False, softmax, one-hot label, batch=True) + mean CE (a sum, not
/// an average). Dice per foreground class c: (2·Σ p_c·t_c + 1e-5) / (Σ p_c + Σ t_c + 1e-5), sums
/// over the batch and all spatial axes; the Dice loss is the mean over classes 1..C-1 of 1 − Dice.
/// logits: floating (N, C, H, W), C >= 2 (reduced precision is computed in float32); label:
/// uint8 or int64 (N, 1, H, W) with values in [0, C). Returns a float scalar, differentiable in
/// the logits.
at::Tensor nnunet_dice_ce_loss(const at::Tensor& logits_NCHW, const at::Tensor& label_N1HW);

/// Weights of `outputs` deep-supervision outputs: 2^-i / (2 − 2^-outputs), i = 0..outputs-1
/// ({0.533333, 0.266667, 0.133333} for 3).
std::vector<double> deep_supervision_weights(std::size_t outputs);

/// Nearest-neighbour resize of a label map (N, 1, spatial...) to `size` (one entry per spatial
/// axis) with F.interpolate's default 'nearest' rule: source index min(floor(i · in/out), in − 1),
/// the ratio in float32. Keeps the dtype.
at::Tensor resize_label_nearest(const at::Tensor& label_N1HW, at::IntArrayRef size);

/// Σ_i w_i · nnunet_dice_ce_loss(outputs[i], label resized to outputs[i]) with the
/// deep_supervision_weights; outputs = {main, head0, head1, ...} from Unet2D::forward_all. A
/// single output (no deep supervision) gives the unweighted nnunet_dice_ce_loss.
at::Tensor nnunet_deep_supervision_loss(const std::vector<at::Tensor>& outputs,
                                        const at::Tensor& label_N1HW);

}  // namespace segbench
