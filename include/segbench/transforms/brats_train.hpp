// Training crops and augmentation of the nnU-Net 2-D BraTS benchmark (fidelity §3.4), tensor tier.
// Input: a preprocessed volume, image float32 (C, D, H, W), label uint8 (1, D, H, W).
// Output: a block (C, d, h, w) + (1, d, h, w), later cut into d slices by layout_2d.
// Gaussian noise and brightness reuse RandGaussianNoise and RandBrightness (intensity.hpp).
#pragma once

#include "segbench/transforms/compose.hpp"

#include <array>
#include <cstdint>

namespace segbench {

/// Where a crop lies: the drawn centre voxel and the (clamped) start of the window.
struct CropWindow {
  std::array<std::int64_t, 3> centre{};
  std::array<std::int64_t, 3>
      anchor{};  ///< negative on an axis where the volume is smaller than the crop
};

/// Cuts [anchor, anchor + shape) on the three spatial axes of image and label; the parts of the
/// window outside the volume are zeros (label 0).
Sample crop_zero_padded(Sample sample, const std::array<std::int64_t, 3>& anchor,
                        const std::array<std::int64_t, 3>& shape);

/// With probability `oversampling` the centre is a uniformly random voxel with label > 0 (a
/// uniformly random voxel when there is none), otherwise a uniformly random voxel. The anchor
/// is centre − shape/2 clamped per axis to [min(0, size − shape), max(0, size − shape)]: the
/// window stays inside a large enough volume and covers all of a smaller one, whose remainder
/// is zero padding.
struct RandForegroundCentredCrop {
  static constexpr const char* name = "RandForegroundCentredCrop";
  std::array<std::int64_t, 3> shape{64, 192, 160};
  double oversampling = 0.33;

  Sample operator()(Sample sample, Rng& rng) const;

  /// The window operator() crops, drawing the same random numbers.
  CropWindow window(const Sample& sample, Rng& rng) const;
};

/// With probability p draws s ~ U(lo, hi), cuts the centred sub-block of round(size · s) voxels
/// (at least 1) per axis, depth included, and resizes it back: separable cubic for the image
/// (resize_cubic_3d), nearest for the label (resize_nearest_3d).
struct RandZoom {
  static constexpr const char* name = "RandZoom";
  double p = 0.15;
  double lo = 0.7;
  double hi = 1.0;

  Sample operator()(Sample sample, Rng& rng) const;
};

/// Flips image and label along H, then along W, each with its own coin of probability p
/// (no depth flip in the 2-D pipeline).
struct RandFlipHW {
  static constexpr const char* name = "RandFlipHW";
  double p = 0.33;

  Sample operator()(Sample sample, Rng& rng) const;
};

/// With probability p draws σ ~ U(sigma_lo, sigma_hi) and blurs the image along D, H and W
/// (gaussian_blur_3d).
struct RandGaussianBlur {
  static constexpr const char* name = "RandGaussianBlur";
  double p = 0.15;
  double sigma_lo = 0.5;
  double sigma_hi = 1.5;

  Sample operator()(Sample sample, Rng& rng) const;
};

/// With probability p draws f ~ U(lo, hi) and multiplies the image by f, then clamps it to the
/// minimum and maximum the image had before (over all channels and voxels).
struct RandContrast {
  static constexpr const char* name = "RandContrast";
  double p = 0.15;
  double lo = 0.65;
  double hi = 1.5;

  Sample operator()(Sample sample, Rng& rng) const;
};

/// Resizes the three trailing axes of x (C, d, h, w) to `shape` with PyTorch's bicubic kernel
/// (Keys, a = −0.75, half-pixel centres, edges replicated) applied separably: (h, w) first,
/// then d. ATen has no 3-D cubic; the result may overshoot the input range, as cubic does.
at::Tensor resize_cubic_3d(const at::Tensor& x, const std::array<std::int64_t, 3>& shape);

/// Nearest-neighbour resize of the three trailing axes of x (C, d, h, w) with half-pixel
/// centres: output index i reads input floor((i + 0.5) · in / out).
at::Tensor resize_nearest_3d(const at::Tensor& x, const std::array<std::int64_t, 3>& shape);

/// Separable Gaussian blur of the three trailing axes of x (C, D, H, W): weights
/// exp(−k²/2σ²) normalised over k ∈ [−r, r], r = ceil(3σ), mirrored borders without repeating
/// the edge voxel (reflect-101), channels kept apart.
at::Tensor gaussian_blur_3d(const at::Tensor& x, double sigma);

/// Knobs of the training pipeline; defaults are the reference's (fidelity §3.4).
struct BratsAugmentOptions {
  std::array<std::int64_t, 3> crop{64, 192, 160};  ///< (slices, H, W); (H, W) is the patch size
  double oversampling = 0.33;
  bool augment = true;  ///< false: crop only (HAB --no-augment)
  double zoom_p = 0.15, zoom_lo = 0.7, zoom_hi = 1.0;
  double flip_p = 0.33;
  double noise_p = 0.15, noise_max_std = 0.33;
  double blur_p = 0.15, blur_sigma_lo = 0.5, blur_sigma_hi = 1.5;
  double brightness_p = 0.15, brightness_lo = 0.7, brightness_hi = 1.3;
  double contrast_p = 0.15, contrast_lo = 0.65, contrast_hi = 1.5;
};

/// RandForegroundCentredCrop → RandZoom → RandFlipHW → RandGaussianNoise → RandGaussianBlur →
/// RandBrightness (×f) → RandContrast, in the reference's order; only the crop when
/// !augment. ConfigError for a probability outside [0, 1], lo > hi or a crop extent < 1.
Compose make_brats_train_transforms(const BratsAugmentOptions& options = {});

}  // namespace segbench
