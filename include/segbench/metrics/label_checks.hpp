// Shape, dtype and value checks of a 2-D segmentation label against logits, shared by the
// DeepCAM loss and the IoU metric. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <string_view>

namespace segbench {

/// Checks floating logits (N, C, H, W), C >= 2, against a uint8/int64 label (N, H, W) or
/// (N, 1, H, W) with values in [0, C); throws DataError naming `caller`, expected and found.
/// Returns the label as int64 (N, H, W).
at::Tensor checked_label_NHW(std::string_view caller, const at::Tensor& logits_NCHW,
                             const at::Tensor& label);

}  // namespace segbench
