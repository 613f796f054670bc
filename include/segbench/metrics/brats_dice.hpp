// The per-volume Dice of the BraTS benchmark's validation (fidelity §3.8) and its mean-Dice target.
// Tensor tier. Legend: N slices (or batch), C classes, spatial axes after them.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "segbench/metrics/dice.hpp"

namespace segbench {

/// Classes 1, 2, 3 (edema, non-enhancing and enhancing tumour) are scored.
inline constexpr int kBratsScoredClasses = 3;

/// Hard Dice of one volume for each class c = 1..num_classes-1 on class maps (N, 1, spatial...)
/// of dtype uint8 or int64: 2TP / (2TP + FP + FN) counted over all N and spatial positions; if
/// the label has no voxel of c, 1 when the prediction has none either, else 0.
std::vector<double> brats_volume_dice(const at::Tensor& prediction_N1HW,
                                      const at::Tensor& label_N1HW, int64_t num_classes);

/// The same on logits (N, C, spatial...) through their argmax over C. For 2-D validation the N
/// slices of one volume form the volume: one call per case.
std::vector<double> brats_volume_dice_from_logits(const at::Tensor& logits_NCHW,
                                                  const at::Tensor& label_N1HW);

/// The validation accumulator: MeanDiceTarget over the 3 scored classes (mean over volumes of
/// all ranks, then over classes; a fraction in [0, 1], not the reference's ×100). The reference
/// has no absolute target (fidelity §3.8), so the caller chooses it.
MeanDiceTarget brats_mean_dice_target(double target);

/// The reference's dice_sum (its early-stopping monitor, as a fraction): the sum of the class
/// means of the last aggregate(). Throws DataError before the first aggregate().
double brats_dice_sum(const MeanDiceTarget& aggregated);

}  // namespace segbench
