// Dtype and intensity training augmentations of the 3D U-Net reference (fidelity §1.6 items
// 3-5, §1.10), tensor tier. They change the image only and never modify it in place.
#pragma once

#include "segbench/concepts/dataset.hpp"
#include "segbench/transforms/rng.hpp"

namespace segbench {

/// image → float32, label → uint8.
struct Cast {
  static constexpr const char* name = "Cast";
  Sample operator()(Sample sample, Rng& rng) const;
};

/// With probability p draws f ~ U(lo, hi) and multiplies the image by 1 + f when
/// reference_quirk (what the reference does, ×1.7..×2.3), else by f.
struct RandBrightness {
  static constexpr const char* name = "RandBrightness";
  double p = 0.1;
  double lo = 0.7;
  double hi = 1.3;
  bool reference_quirk = true;

  Sample operator()(Sample sample, Rng& rng) const;
};

/// With probability p draws σ ~ U(0, max_std) and adds N(0, σ²) noise, drawn from a torch
/// generator seeded by the Rng (so the result depends only on the Rng's state).
struct RandGaussianNoise {
  static constexpr const char* name = "RandGaussianNoise";
  double p = 0.1;
  double max_std = 0.1;

  Sample operator()(Sample sample, Rng& rng) const;
};

}  // namespace segbench
