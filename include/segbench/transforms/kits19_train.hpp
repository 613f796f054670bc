// The reference's per-sample training pipeline for KiTS19 (fidelity §1.6), tensor tier.
#pragma once

#include "segbench/transforms/compose.hpp"

#include <array>
#include <cstdint>

namespace segbench {

/// RandBalancedCrop → RandFlip → Cast → RandBrightness → RandGaussianNoise with the
/// reference's probabilities. brightness_quirk = true multiplies by 1 + f (fidelity §1.10).
Compose make_kits19_train_transforms(std::array<std::int64_t, 3> patch = {128, 128, 128},
                                     double oversampling = 0.4, bool brightness_quirk = true);

}  // namespace segbench
