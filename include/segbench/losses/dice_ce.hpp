// The reference's DiceCELoss (fidelity §1.4), used for training and as the eval loss. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

namespace segbench {

/// (mean over batch and scored classes of (1 − soft Dice) + unweighted mean cross-entropy) / 2.
/// logits: float (N, C, D, H, W); label: uint8 or int64 (N, 1, D, H, W) with values in [0, C).
/// Soft Dice uses softmax probabilities and the one-hot label; class 0 is scored only with
/// include_background. Returns a scalar, differentiable in the logits.
at::Tensor dice_ce_loss(const at::Tensor& logits_NCDHW, const at::Tensor& label_N1DHW,
                        bool include_background = false);

}  // namespace segbench
