// 2-D validation of one volume, slice by slice (fidelity §3.8). Tensor tier.
// Legend: C input channels, K classes, D slices, HW in-plane.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>

namespace segbench {

/// A 2-D model: slices (n, C, H, W) → logits (n, K, H, W).
using SlicePredictFn = std::function<at::Tensor(const at::Tensor&)>;

/// Pads the depth of image (C, D, H, W) or (1, C, D, H, W) at the front with zero slices to a
/// multiple of slices_per_batch, runs predict on consecutive groups of exactly slices_per_batch
/// slices (the padding included, as the reference does), drops the padding and returns logits
/// (1, K, D, H, W), contiguous, in predict's dtype. Runs without autograd. DataError for a bad
/// image or a predict output of the wrong shape; ConfigError for slices_per_batch < 1.
at::Tensor slice_inference(const at::Tensor& image, const SlicePredictFn& predict,
                           std::int64_t slices_per_batch = 64);

}  // namespace segbench
