#include "segbench/prep/volume_resampling.hpp"

#include <algorithm>
#include <cmath>
#include <xtensor/xview.hpp>

namespace segbench::prep {

LinearTaps linear_taps_align_corners(std::size_t input_size, std::size_t output_size,
                                     InterpolationArithmetic arithmetic) {
  LinearTaps taps;
  taps.index0.resize(output_size);
  taps.index1.resize(output_size);
  taps.weight0.resize(output_size);
  taps.weight1.resize(output_size);
  // ATen's area_pixel_compute_scale (float in both releases) and
  // compute_source_index_and_lambda: 1.x takes the source coordinate and lambda in double
  // (acc_type), 2.x in float (opmath_type) with lambda clamped to [0, 1].
  const float scale = output_size > 1
                          ? static_cast<float>(input_size - 1) / static_cast<float>(output_size - 1)
                          : 0.0f;
  for (std::size_t i = 0; i < output_size; ++i) {
    if (input_size == output_size) {
      taps.index0[i] = taps.index1[i] = i;
      taps.weight0[i] = 1.0f;
      taps.weight1[i] = 0.0f;
      continue;
    }
    std::size_t index0 = 0;
    float lambda1 = 0.0f;
    if (arithmetic == InterpolationArithmetic::aten1) {
      const double source = static_cast<double>(scale) * static_cast<double>(i);
      index0 = static_cast<std::size_t>(source);
      lambda1 = static_cast<float>(source - static_cast<double>(index0));
    } else {
      const float source = scale * static_cast<float>(i);
      index0 = std::min(static_cast<std::size_t>(source), input_size - 1);
      lambda1 = std::min(std::max(source - static_cast<float>(index0), 0.0f), 1.0f);
    }
    taps.index0[i] = index0;
    taps.index1[i] = index0 + (index0 < input_size - 1 ? 1 : 0);
    taps.weight0[i] = 1.0f - lambda1;
    taps.weight1[i] = lambda1;
  }
  return taps;
}

std::vector<std::size_t> nearest_legacy_indices(std::size_t input_size, std::size_t output_size) {
  std::vector<std::size_t> index(output_size);
  const float scale = static_cast<float>(input_size) / static_cast<float>(output_size);
  for (std::size_t i = 0; i < output_size; ++i) {
    if (output_size == input_size)
      index[i] = i;
    else if (output_size == 2 * input_size)
      index[i] = i >> 1;
    else
      index[i] = std::min(static_cast<std::size_t>(std::floor(static_cast<float>(i) * scale)),
                          input_size - 1);
  }
  return index;
}

namespace {

/// One input D-slab resampled along W then H: the (out H, out W) plane that the D step blends.
/// The W step gathers two taps per output column, an index loop: xtensor's keep() views cost
/// about 42 ns an element here against about 1 ns for the loop (docs/reference/light-tier.md).
xt::xtensor<float, 2> resample_plane(const xt::xtensor<float, 3>& volume, std::size_t d,
                                     const LinearTaps& along_h, const LinearTaps& along_w) {
  const std::size_t in_h = volume.shape()[1], in_w = volume.shape()[2];
  const std::size_t out_h = along_h.index0.size(), out_w = along_w.index0.size();
  xt::xtensor<float, 2> rows = xt::empty<float>({in_h, out_w});
  const float* plane = volume.data() + d * in_h * in_w;
  for (std::size_t h = 0; h < in_h; ++h) {
    const float* src = plane + h * in_w;
    float* dst = rows.data() + h * out_w;
    for (std::size_t w = 0; w < out_w; ++w)
      dst[w] = std::fma(src[along_w.index0[w]], along_w.weight0[w],
                        src[along_w.index1[w]] * along_w.weight1[w]);
  }
  xt::xtensor<float, 2> blended = xt::empty<float>({out_h, out_w});
  for (std::size_t h = 0; h < out_h; ++h)
    xt::view(blended, h) = xt::fma(xt::view(rows, along_h.index0[h]), along_h.weight0[h],
                                   xt::view(rows, along_h.index1[h]) * along_h.weight1[h]);
  return blended;
}

/// PyTorch 2.x (measured against 2.11's AVX2 kernel): nested per axis in float, W innermost, each
/// step fma(t0, w0, t1 * w1); separable, so W, then H, then D.
xt::xtensor<float, 3> trilinear_separable(const xt::xtensor<float, 3>& volume,
                                          const Shape3& out_shape, const LinearTaps& along_d,
                                          const LinearTaps& along_h, const LinearTaps& along_w) {
  xt::xtensor<float, 3> out = xt::empty<float>(out_shape);
  // The D taps never decrease, so the last two planes computed are all the D step needs: the
  // intermediate memory is two planes, not a volume, and input slabs no tap uses are skipped.
  // A new plane replaces the older (smaller) slab, never the one the current step still reads.
  constexpr std::size_t kEmpty = static_cast<std::size_t>(-1);
  std::array<std::size_t, 2> cached_slab{kEmpty, kEmpty};
  std::array<xt::xtensor<float, 2>, 2> cached_plane;
  const auto plane = [&](std::size_t d) -> const xt::xtensor<float, 2>& {
    for (std::size_t s = 0; s < 2; ++s)
      if (cached_slab[s] == d) return cached_plane[s];
    const std::size_t slot = cached_slab[0] == kEmpty          ? 0
                             : cached_slab[1] == kEmpty        ? 1
                             : cached_slab[0] < cached_slab[1] ? 0
                                                               : 1;
    cached_plane[slot] = resample_plane(volume, d, along_h, along_w);
    cached_slab[slot] = d;
    return cached_plane[slot];
  };
  for (std::size_t d = 0; d < out_shape[0]; ++d) {
    const auto& first = plane(along_d.index0[d]);
    const auto& second = plane(along_d.index1[d]);
    xt::view(out, d) = xt::fma(first, along_d.weight0[d], second * along_d.weight1[d]);
  }
  return out;
}

/// PyTorch 1.x (measured against 1.13): each of the eight corner weights is the float product
/// (w_d * w_h) * w_w, and the eight weighted values are summed in double and rounded once. Not
/// separable, so one pass over the output with four input rows per output row.
xt::xtensor<float, 3> trilinear_corner_weights(const xt::xtensor<float, 3>& volume,
                                               const Shape3& out_shape, const LinearTaps& along_d,
                                               const LinearTaps& along_h,
                                               const LinearTaps& along_w) {
  const std::size_t in_h = volume.shape()[1], in_w = volume.shape()[2];
  xt::xtensor<float, 3> out = xt::empty<float>(out_shape);
  const float* x = volume.data();
  float* result = out.data();
  for (std::size_t d = 0; d < out_shape[0]; ++d) {
    const std::size_t slab[2] = {along_d.index0[d], along_d.index1[d]};
    const float wd[2] = {along_d.weight0[d], along_d.weight1[d]};
    for (std::size_t h = 0; h < out_shape[1]; ++h) {
      const std::size_t row[2] = {along_h.index0[h], along_h.index1[h]};
      const float wh[2] = {along_h.weight0[h], along_h.weight1[h]};
      const float* rows[2][2];
      float wdh[2][2];
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          rows[i][j] = x + (slab[i] * in_h + row[j]) * in_w;
          wdh[i][j] = wd[i] * wh[j];
        }
      float* dst = result + (d * out_shape[1] + h) * out_shape[2];
      for (std::size_t w = 0; w < out_shape[2]; ++w) {
        const std::size_t col[2] = {along_w.index0[w], along_w.index1[w]};
        const float ww[2] = {along_w.weight0[w], along_w.weight1[w]};
        double sum = 0.0;
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j)
            for (int k = 0; k < 2; ++k)
              sum += static_cast<double>(wdh[i][j] * ww[k]) * rows[i][j][col[k]];
        dst[w] = static_cast<float>(sum);
      }
    }
  }
  return out;
}

}  // namespace

xt::xtensor<float, 3> resample_trilinear_align_corners(const xt::xtensor<float, 3>& volume,
                                                       const Shape3& out_shape,
                                                       InterpolationArithmetic arithmetic) {
  const auto& in = volume.shape();
  const LinearTaps along_d = linear_taps_align_corners(in[0], out_shape[0], arithmetic);
  const LinearTaps along_h = linear_taps_align_corners(in[1], out_shape[1], arithmetic);
  const LinearTaps along_w = linear_taps_align_corners(in[2], out_shape[2], arithmetic);
  return arithmetic == InterpolationArithmetic::aten1
             ? trilinear_corner_weights(volume, out_shape, along_d, along_h, along_w)
             : trilinear_separable(volume, out_shape, along_d, along_h, along_w);
}

xt::xtensor<std::uint8_t, 3> resample_nearest_legacy(const xt::xtensor<std::uint8_t, 3>& volume,
                                                     const Shape3& out_shape) {
  const auto& in = volume.shape();
  const auto from_d = nearest_legacy_indices(in[0], out_shape[0]);
  const auto from_h = nearest_legacy_indices(in[1], out_shape[1]);
  const auto from_w = nearest_legacy_indices(in[2], out_shape[2]);
  xt::xtensor<std::uint8_t, 3> out = xt::empty<std::uint8_t>(out_shape);
  for (std::size_t d = 0; d < out_shape[0]; ++d)
    for (std::size_t h = 0; h < out_shape[1]; ++h) {
      const std::uint8_t* src = volume.data() + (from_d[d] * in[1] + from_h[h]) * in[2];
      std::uint8_t* dst = out.data() + (d * out_shape[1] + h) * out_shape[2];
      for (std::size_t w = 0; w < out_shape[2]; ++w) dst[w] = src[from_w[w]];
    }
  return out;
}

template <class T>
xt::xtensor<T, 3> pad_edge(const xt::xtensor<T, 3>& volume, const Shape3& before,
                           const Shape3& after) {
  const auto& in = volume.shape();
  Shape3 shape{};
  for (std::size_t a = 0; a < 3; ++a) shape[a] = in[a] + before[a] + after[a];
  if (shape == Shape3{in[0], in[1], in[2]}) return volume;
  using xt::all, xt::range;
  xt::xtensor<T, 3> out = xt::empty<T>(shape);
  const auto inner = [&](std::size_t a) { return range(before[a], before[a] + in[a]); };
  xt::view(out, inner(0), inner(1), inner(2)) = volume;
  // Axis by axis, each margin slice is a copy of the first or last inner one; a later axis copies
  // the already padded earlier ones, which is numpy's corner behaviour. (One slice at a time:
  // xtensor 0.24 fills only the first slice when a 1-thick view is broadcast into a thicker view
  // of the same tensor.)
  const std::size_t last0 = before[0] + in[0] - 1, last1 = before[1] + in[1] - 1,
                    last2 = before[2] + in[2] - 1;
  for (std::size_t z = 0; z < shape[0]; ++z) {
    if (z >= before[0] && z <= last0) continue;
    xt::view(out, z, inner(1), inner(2)) =
        xt::view(out, std::clamp(z, before[0], last0), inner(1), inner(2));
  }
  for (std::size_t y = 0; y < shape[1]; ++y) {
    if (y >= before[1] && y <= last1) continue;
    xt::view(out, all(), y, inner(2)) =
        xt::view(out, all(), std::clamp(y, before[1], last1), inner(2));
  }
  for (std::size_t x = 0; x < shape[2]; ++x) {
    if (x >= before[2] && x <= last2) continue;
    xt::view(out, all(), all(), x) = xt::view(out, all(), all(), std::clamp(x, before[2], last2));
  }
  return out;
}

template xt::xtensor<float, 3> pad_edge(const xt::xtensor<float, 3>&, const Shape3&, const Shape3&);
template xt::xtensor<std::uint8_t, 3> pad_edge(const xt::xtensor<std::uint8_t, 3>&, const Shape3&,
                                               const Shape3&);

}  // namespace segbench::prep
