// The soft Dice coefficient shared by the Dice+CE loss and the Dice metric (fidelity §1.4).
// Tensor tier. Legend: N batch, C classes, K scored classes (C or C-1), DHW spatial.
#pragma once

#include <ATen/core/Tensor.h>

#include <string_view>

namespace segbench {

/// Smoothing added to numerator and denominator, so a class absent from both scores 1.
inline constexpr double kDiceSmoothing = 1e-6;

/// Checks logits (N, C, D, H, W) floating, C >= 2, against label (N, 1, D, H, W) of dtype uint8
/// or int64 with values in [0, C); throws DataError naming `caller` and both shapes otherwise.
void check_logits_and_label(std::string_view caller, const at::Tensor& logits_NCDHW,
                            const at::Tensor& label_N1DHW);

/// One-hot of class indices (N, 1, D, H, W) -> (N, num_classes, D, H, W) of dtype `dtype`.
at::Tensor one_hot_NCDHW(const at::Tensor& label_N1DHW, int64_t num_classes, at::ScalarType dtype);

/// (2·Σ t·p + 1e-6) / (Σ t + Σ p + 1e-6), sums over D, H, W only -> (N, K); class 0 is
/// dropped unless include_background.
at::Tensor dice_coefficient(const at::Tensor& target_NCDHW, const at::Tensor& prediction_NCDHW,
                            bool include_background);

}  // namespace segbench
