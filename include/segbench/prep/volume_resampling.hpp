// Resampling and edge padding of 3-D volumes on xtensor, as ATen computes them (no LibTorch):
// trilinear with align_corners=True for images, PyTorch's legacy "nearest" for label maps, and
// numpy's mode="edge" padding. The KiTS19 preprocessing (REF3D's preprocess_dataset.py) uses all
// three; docs/reference/light-tier.md has the arithmetic and the parity measurements.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>
#include <xtensor/xtensor.hpp>

namespace segbench::prep {

using Shape3 = std::array<std::size_t, 3>;

/// Where output index i of one axis reads from, and with which weights: value =
/// in[index0] * weight0 + in[index1] * weight1, all in float as ATen's CPU kernel does it.
struct LinearTaps {
  std::vector<std::size_t> index0, index1;
  std::vector<float> weight0, weight1;
};

/// How ATen computes the source coordinate i * scale of a linear tap; the releases differ by up
/// to about 1e-4 after KiTS19 normalisation (docs/reference/light-tier.md).
enum class InterpolationArithmetic {
  aten1,  ///< PyTorch 1.x (1.13 measured): float scale, source and lambda in double
  aten2,  ///< PyTorch 2.x (2.11 measured): scale, source and lambda in float, lambda clamped
};

/// align_corners=True taps for one axis: source = i * float(in - 1) / (out - 1) (0 when out is
/// 1); an axis that keeps its size copies (weights 1 and 0).
LinearTaps linear_taps_align_corners(std::size_t input_size, std::size_t output_size,
                                     InterpolationArithmetic arithmetic);

/// Legacy nearest source indices for one axis: i when the size is kept, i / 2 when doubled,
/// else min(floor(i * (float(in) / out)), in - 1), as at::upsample_nearest3d without scales.
std::vector<std::size_t> nearest_legacy_indices(std::size_t input_size, std::size_t output_size);

/// at::upsample_trilinear3d(x, out_shape, align_corners=true) for one channel, evaluated as ATen
/// nests it (W innermost, then H, then D), so each output float is rounded the same way.
xt::xtensor<float, 3> resample_trilinear_align_corners(const xt::xtensor<float, 3>& volume,
                                                       const Shape3& out_shape,
                                                       InterpolationArithmetic arithmetic);

/// at::upsample_nearest3d(x, out_shape) for one channel (exact: a gather).
xt::xtensor<std::uint8_t, 3> resample_nearest_legacy(const xt::xtensor<std::uint8_t, 3>& volume,
                                                     const Shape3& out_shape);

/// numpy.pad(volume, ..., mode="edge") with `before[a]` and `after[a]` copies of the first and
/// last slice on each axis a.
template <class T>
xt::xtensor<T, 3> pad_edge(const xt::xtensor<T, 3>& volume, const Shape3& before,
                           const Shape3& after);

extern template xt::xtensor<float, 3> pad_edge(const xt::xtensor<float, 3>&, const Shape3&,
                                               const Shape3&);
extern template xt::xtensor<std::uint8_t, 3> pad_edge(const xt::xtensor<std::uint8_t, 3>&,
                                                      const Shape3&, const Shape3&);

}  // namespace segbench::prep
