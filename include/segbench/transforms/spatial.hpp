// Spatial training augmentations of the 3D U-Net reference (fidelity §1.6 items 1-2), tensor tier.
// Volumes are (C, D, H, W); labels are uint8 (1, D, H, W).
#pragma once

#include "segbench/concepts/dataset.hpp"
#include "segbench/transforms/connected_components.hpp"
#include "segbench/transforms/rng.hpp"

#include <array>
#include <cstdint>

namespace segbench {

/// Crops a patch: with probability `oversampling` around one of the two largest (by box
/// volume) 6-connected components of a randomly chosen foreground class, else at a uniform
/// random start in [0, size - patch) per axis (size - patch itself is never drawn, as in the
/// reference; 0 when size == patch). Volumes smaller than the patch are a DataError.
struct RandBalancedCrop {
  static constexpr const char* name = "RandBalancedCrop";
  std::array<std::int64_t, 3> patch{128, 128, 128};
  double oversampling = 0.4;

  Sample operator()(Sample sample, Rng& rng) const;

  /// The window operator() would crop (D, H, W axes), drawing the same random numbers.
  Box3 window(const Sample& sample, Rng& rng) const;
};

/// Flips image and label together along each spatial axis independently with probability p.
struct RandFlip {
  static constexpr const char* name = "RandFlip";
  double p = 1.0 / 3.0;

  Sample operator()(Sample sample, Rng& rng) const;
};

}  // namespace segbench
