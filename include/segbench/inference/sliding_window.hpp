// Whole-volume inference by overlapping ROI windows blended with a Gaussian map (fidelity §1.7).
// Tensor tier. Legend: N batch, C channels or classes, DHW spatial.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <functional>

namespace segbench {

struct SlidingWindowOptions {
  std::array<int64_t, 3> roi{128, 128, 128};
  double overlap = 0.5;           ///< window stride = int(roi · (1 − overlap))
  double pad_value = -2.2;        ///< constant used to pad the image (never the label)
  int64_t windows_per_batch = 1;  ///< windows stacked along the batch axis per predict() call
};

/// Per-axis geometry for one volume: trim to the scored region, pad, tile.
struct SlidingWindowPlan {
  std::array<int64_t, 3> stride{};
  std::array<int64_t, 3> trim_before{};   ///< voxels dropped at the start of each axis
  std::array<int64_t, 3> scored_shape{};  ///< trimmed volume: where logits and metric live
  std::array<int64_t, 3> pad_before{};    ///< image padding before the trimmed volume
  std::array<int64_t, 3> padded_shape{};
  std::array<int64_t, 3> windows{};  ///< windows per axis, at multiples of the stride
};

/// Throws ConfigError for bad options and DataError for a volume that trims to nothing.
SlidingWindowPlan plan_sliding_window(std::array<int64_t, 3> spatial_shape,
                                      const SlidingWindowOptions& options);

/// Windows per axis after trim and pad (their product is the number of predict() windows).
std::array<int64_t, 3> sliding_window_count(std::array<int64_t, 3> spatial_shape,
                                            const SlidingWindowOptions& options);

struct SlidingWindowResult {
  at::Tensor logits_NCDHW;  ///< blended logits on the trimmed volume
  at::Tensor label_N1DHW;   ///< the label trimmed the same way (undefined if none was given)
  int64_t windows = 0;
};

/// Runs predict() on every window of image (N, C_in, D, H, W), each window's logits
/// (N, C, R0, R1, R2) multiplied by the Gaussian map (cached per ROI, dtype and device) and
/// accumulated, then divided by the accumulated map. predict() receives up to
/// windows_per_batch windows concatenated along the batch axis and must return their logits in
/// the same order. Runs without autograd. label (N, 1, D, H, W) may be undefined.
SlidingWindowResult sliding_window_inference(
    const std::function<at::Tensor(const at::Tensor&)>& predict, const at::Tensor& image_NCDHW,
    const at::Tensor& label_N1DHW, const SlidingWindowOptions& options);

}  // namespace segbench
