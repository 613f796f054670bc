#include "segbench/transforms/brats_train.hpp"

#include "segbench/error.hpp"
#include "segbench/transforms/intensity.hpp"

#include <ATen/ops/flip.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/upsample_bicubic2d.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Optional.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace segbench {

namespace {

using Shape3 = std::array<std::int64_t, 3>;

void check_pair(const Sample& sample, const char* who) {
  const at::Tensor& label = sample.label;
  SEGBENCH_CHECK(
      label.defined() && label.dim() == 4 && label.size(0) == 1 && label.scalar_type() == at::kByte,
      DataError, "{}: {} needs a uint8 label of shape (1, D, H, W)", sample.case_id, who);
  SEGBENCH_CHECK(sample.image.defined() && sample.image.dim() == 4 &&
                     sample.image.sizes().slice(1) == label.sizes().slice(1),
                 DataError, "{}: {}: image shape [{}] does not match label shape [{}]",
                 sample.case_id, who,
                 sample.image.defined() ? fmt::format("{}", fmt::join(sample.image.sizes(), ", "))
                                        : "undefined",
                 fmt::join(label.sizes(), ", "));
}

Shape3 spatial_shape(const at::Tensor& x) {
  return {x.size(-3), x.size(-2), x.size(-1)};
}

/// The k-th (0-based, C order) voxel of a contiguous uint8 volume whose value is > 0.
Shape3 nth_foreground_voxel(std::span<const std::uint8_t> voxels, const Shape3& volume,
                            std::int64_t k) {
  std::int64_t flat = 0;
  for (std::size_t i = 0; i < voxels.size(); ++i) {
    if (voxels[i] == 0) continue;
    if (k-- == 0) {
      flat = static_cast<std::int64_t>(i);
      break;
    }
  }
  return {flat / (volume[1] * volume[2]), (flat / volume[2]) % volume[1], flat % volume[2]};
}

/// Reflect-101 index of j for an axis of length n (…, 2, 1, [0, 1, …, n−1], n−2, …).
std::int64_t reflect_101(std::int64_t j, std::int64_t n) {
  if (n == 1) return 0;
  const std::int64_t period = 2 * (n - 1);
  j %= period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

at::Tensor index_tensor(const std::vector<std::int64_t>& indices, const at::Device& device) {
  return at::from_blob(const_cast<std::int64_t*>(indices.data()),
                       {static_cast<std::int64_t>(indices.size())}, at::kLong)
      .clone()
      .to(device);
}

at::Tensor blur_axis(const at::Tensor& x, std::int64_t axis, const std::vector<double>& weights) {
  const std::int64_t radius = static_cast<std::int64_t>(weights.size() / 2);
  const std::int64_t length = x.size(axis);
  std::vector<std::int64_t> source(static_cast<std::size_t>(length + 2 * radius));
  for (std::int64_t j = 0; j < static_cast<std::int64_t>(source.size()); ++j)
    source[static_cast<std::size_t>(j)] = reflect_101(j - radius, length);
  const at::Tensor padded = x.index_select(axis, index_tensor(source, x.device()));
  at::Tensor out = padded.narrow(axis, 0, length).mul(weights[0]);
  for (std::size_t k = 1; k < weights.size(); ++k)
    out.add_(padded.narrow(axis, static_cast<std::int64_t>(k), length), weights[k]);
  return out;
}

void check_probability(double p, const char* what) {
  SEGBENCH_CHECK(p >= 0.0 && p <= 1.0, ConfigError,
                 "BraTS augmentation: {} must be a probability in [0, 1], found {}", what, p);
}

void check_range(double lo, double hi, const char* what) {
  SEGBENCH_CHECK(lo <= hi, ConfigError,
                 "BraTS augmentation: {} range needs lo <= hi, found [{}, {}]", what, lo, hi);
}

}  // namespace

Sample crop_zero_padded(Sample sample, const Shape3& anchor, const Shape3& shape) {
  const Shape3 volume = spatial_shape(sample.label);
  bool inside = true;
  for (int a = 0; a < 3; ++a) inside &= anchor[a] >= 0 && anchor[a] + shape[a] <= volume[a];
  auto crop = [&](const at::Tensor& t) {
    if (inside) {
      return t.slice(1, anchor[0], anchor[0] + shape[0])
          .slice(2, anchor[1], anchor[1] + shape[1])
          .slice(3, anchor[2], anchor[2] + shape[2])
          .contiguous();
    }
    at::Tensor out = at::zeros({t.size(0), shape[0], shape[1], shape[2]}, t.options());
    at::Tensor source = t;
    at::Tensor target = out;
    for (int a = 0; a < 3; ++a) {
      const std::int64_t lo = std::max<std::int64_t>(anchor[a], 0);
      const std::int64_t hi = std::min(anchor[a] + shape[a], volume[a]);
      if (hi <= lo) return out;  // the window misses the volume on this axis
      source = source.slice(a + 1, lo, hi);
      target = target.slice(a + 1, lo - anchor[a], hi - anchor[a]);
    }
    target.copy_(source);
    return out;
  };
  sample.image = crop(sample.image);
  sample.label = crop(sample.label);
  return sample;
}

CropWindow RandForegroundCentredCrop::window(const Sample& sample, Rng& rng) const {
  check_pair(sample, name);
  const Shape3 volume = spatial_shape(sample.label);
  for (int a = 0; a < 3; ++a)
    SEGBENCH_CHECK(volume[a] > 0 && shape[a] > 0, DataError,
                   "{}: {} needs a non-empty volume and crop, found volume [{}] and crop [{}]",
                   sample.case_id, name, fmt::join(volume, ", "), fmt::join(shape, ", "));

  CropWindow window;
  bool centred_on_foreground = false;
  if (rng.bernoulli(oversampling)) {
    const at::Tensor contiguous = sample.label.cpu().contiguous();
    const std::span<const std::uint8_t> voxels(contiguous.data_ptr<std::uint8_t>(),
                                               static_cast<std::size_t>(contiguous.numel()));
    const auto count =
        std::count_if(voxels.begin(), voxels.end(), [](std::uint8_t v) { return v != 0; });
    if (count > 0) {
      window.centre = nth_foreground_voxel(voxels, volume, rng.randrange(count));
      centred_on_foreground = true;
    }
  }
  if (!centred_on_foreground)
    for (int a = 0; a < 3; ++a) window.centre[a] = rng.randrange(volume[a]);

  for (int a = 0; a < 3; ++a) {
    const std::int64_t slack = volume[a] - shape[a];
    window.anchor[a] = std::clamp(window.centre[a] - shape[a] / 2, std::min<std::int64_t>(0, slack),
                                  std::max<std::int64_t>(0, slack));
  }
  return window;
}

Sample RandForegroundCentredCrop::operator()(Sample sample, Rng& rng) const {
  const CropWindow box = window(sample, rng);
  return crop_zero_padded(std::move(sample), box.anchor, shape);
}

at::Tensor resize_cubic_3d(const at::Tensor& x, const Shape3& shape) {
  const std::int64_t channels = x.size(0);
  const Shape3 in = spatial_shape(x);
  at::Tensor out = x;
  if (in[1] != shape[1] || in[2] != shape[2]) {
    out = at::upsample_bicubic2d(out.reshape({1, channels * in[0], in[1], in[2]}),
                                 {shape[1], shape[2]}, /*align_corners=*/false)
              .view({channels, in[0], shape[1], shape[2]});
  }
  if (in[0] != shape[0]) {
    // Depth as the first resized axis of a 2-D resize whose second axis (H) keeps its size,
    // where the cubic weights are exactly (0, 1, 0, 0).
    const at::Tensor by_width =
        out.permute({0, 3, 1, 2}).reshape({1, channels * shape[2], in[0], shape[1]});
    out = at::upsample_bicubic2d(by_width, {shape[0], shape[1]}, /*align_corners=*/false)
              .view({channels, shape[2], shape[0], shape[1]})
              .permute({0, 2, 3, 1});
  }
  return out.contiguous();
}

at::Tensor resize_nearest_3d(const at::Tensor& x, const Shape3& shape) {
  const Shape3 in = spatial_shape(x);
  at::Tensor out = x;
  for (int a = 0; a < 3; ++a) {
    if (in[a] == shape[a]) continue;
    std::vector<std::int64_t> source(static_cast<std::size_t>(shape[a]));
    for (std::int64_t i = 0; i < shape[a]; ++i)  // floor((i + 0.5) · in / out) without rounding
      source[static_cast<std::size_t>(i)] =
          std::min((2 * i + 1) * in[a] / (2 * shape[a]), in[a] - 1);
    out = out.index_select(x.dim() - 3 + a, index_tensor(source, x.device()));
  }
  return out.contiguous();
}

at::Tensor gaussian_blur_3d(const at::Tensor& x, double sigma) {
  SEGBENCH_CHECK(sigma > 0.0, ConfigError, "gaussian_blur_3d: sigma must be > 0, found {}", sigma);
  const auto radius = static_cast<std::int64_t>(std::ceil(3.0 * sigma));
  std::vector<double> weights(static_cast<std::size_t>(2 * radius + 1));
  double total = 0.0;
  for (std::int64_t k = -radius; k <= radius; ++k) {
    const double w = std::exp(-static_cast<double>(k * k) / (2.0 * sigma * sigma));
    weights[static_cast<std::size_t>(k + radius)] = w;
    total += w;
  }
  for (double& w : weights) w /= total;
  at::Tensor out = x;
  for (std::int64_t axis = x.dim() - 3; axis < x.dim(); ++axis) out = blur_axis(out, axis, weights);
  return out;
}

Sample RandZoom::operator()(Sample sample, Rng& rng) const {
  if (!rng.bernoulli(p)) return sample;
  const double scale = rng.uniform(lo, hi);
  const Shape3 volume = spatial_shape(sample.image);
  Shape3 start{}, size{};
  for (int a = 0; a < 3; ++a) {
    size[a] = std::clamp<std::int64_t>(std::llround(static_cast<double>(volume[a]) * scale), 1,
                                       volume[a]);
    start[a] = (volume[a] - size[a]) / 2;
  }
  Sample zoomed = crop_zero_padded(std::move(sample), start, size);
  zoomed.image = resize_cubic_3d(zoomed.image, volume);
  zoomed.label = resize_nearest_3d(zoomed.label, volume);
  return zoomed;
}

Sample RandFlipHW::operator()(Sample sample, Rng& rng) const {
  std::vector<std::int64_t> axes;
  if (rng.bernoulli(p)) axes.push_back(2);
  if (rng.bernoulli(p)) axes.push_back(3);
  if (!axes.empty()) {
    sample.image = at::flip(sample.image, axes);
    sample.label = at::flip(sample.label, axes);
  }
  return sample;
}

Sample RandGaussianBlur::operator()(Sample sample, Rng& rng) const {
  if (rng.bernoulli(p))
    sample.image = gaussian_blur_3d(sample.image, rng.uniform(sigma_lo, sigma_hi));
  return sample;
}

Sample RandContrast::operator()(Sample sample, Rng& rng) const {
  if (!rng.bernoulli(p)) return sample;
  const double factor = rng.uniform(lo, hi);
  const at::Scalar low = sample.image.min().item();
  const at::Scalar high = sample.image.max().item();
  sample.image = sample.image.mul(factor).clamp(c10::optional<at::Scalar>(low),
                                                c10::optional<at::Scalar>(high));
  return sample;
}

Compose make_brats_train_transforms(const BratsAugmentOptions& options) {
  for (int a = 0; a < 3; ++a)
    SEGBENCH_CHECK(options.crop[a] >= 1, ConfigError,
                   "BraTS augmentation: crop extents must be >= 1, found [{}]",
                   fmt::join(options.crop, ", "));
  check_probability(options.oversampling, "oversampling");
  Compose pipeline;
  pipeline.add(RandForegroundCentredCrop{options.crop, options.oversampling});
  if (!options.augment) return pipeline;

  check_probability(options.zoom_p, "zoom_p");
  check_probability(options.flip_p, "flip_p");
  check_probability(options.noise_p, "noise_p");
  check_probability(options.blur_p, "blur_p");
  check_probability(options.brightness_p, "brightness_p");
  check_probability(options.contrast_p, "contrast_p");
  check_range(options.zoom_lo, options.zoom_hi, "zoom");
  SEGBENCH_CHECK(options.zoom_lo > 0.0 && options.zoom_hi <= 1.0, ConfigError,
                 "BraTS augmentation: zoom range must lie in (0, 1], found [{}, {}]",
                 options.zoom_lo, options.zoom_hi);
  check_range(options.blur_sigma_lo, options.blur_sigma_hi, "blur sigma");
  SEGBENCH_CHECK(options.blur_sigma_lo > 0.0, ConfigError,
                 "BraTS augmentation: blur sigma must be > 0, found [{}, {}]",
                 options.blur_sigma_lo, options.blur_sigma_hi);
  check_range(options.brightness_lo, options.brightness_hi, "brightness");
  check_range(options.contrast_lo, options.contrast_hi, "contrast");
  SEGBENCH_CHECK(options.noise_max_std >= 0.0, ConfigError,
                 "BraTS augmentation: noise_max_std must be >= 0, found {}", options.noise_max_std);

  pipeline.add(RandZoom{options.zoom_p, options.zoom_lo, options.zoom_hi});
  pipeline.add(RandFlipHW{options.flip_p});
  pipeline.add(RandGaussianNoise{options.noise_p, options.noise_max_std});
  pipeline.add(RandGaussianBlur{options.blur_p, options.blur_sigma_lo, options.blur_sigma_hi});
  pipeline.add(RandBrightness{.p = options.brightness_p,
                              .lo = options.brightness_lo,
                              .hi = options.brightness_hi,
                              .reference_quirk = false});
  pipeline.add(RandContrast{options.contrast_p, options.contrast_lo, options.contrast_hi});
  return pipeline;
}

}  // namespace segbench
