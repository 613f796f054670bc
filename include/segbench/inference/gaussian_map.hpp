// The Gaussian importance map that blends overlapping sliding windows (fidelity §1.7). Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>

namespace segbench {

/// float64 (R0, R1, R2) on the CPU: per axis g(i) = exp(−½((i − (n−1)/2)/σ)²) with
/// σ = sigma_scale·n, outer product g(i)g(j)g(k), cube root, divided by its maximum (so 1 at
/// the centre). For the reference ROI 128³ this is a separable Gaussian with σ = 16·√3.
at::Tensor gaussian_importance_map(std::array<int64_t, 3> roi, double sigma_scale = 0.125);

}  // namespace segbench
