#include "segbench/transforms/brats_train.hpp"
#include "segbench/transforms/layout_2d.hpp"

#include "segbench/error.hpp"
#include "segbench/transforms/intensity.hpp"

#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <vector>

using namespace segbench;
using at::indexing::Slice;
using Shape3 = std::array<std::int64_t, 3>;

namespace {

/// Image channel c holds 1 + flat index + 1000·c (never 0); label is all background.
Sample make_sample(std::int64_t c, std::int64_t d, std::int64_t h, std::int64_t w) {
  at::Tensor image = at::arange(1, 1 + c * d * h * w, at::kFloat).reshape({c, d, h, w});
  image += at::arange(c, at::kFloat).mul(1000).view({c, 1, 1, 1});
  return {image, at::zeros({1, d, h, w}, at::kByte), "BRATS_001"};
}

/// A sample whose image channel 0 is the label (0/1) and channel 1 something else.
Sample label_mirroring_sample(const at::Tensor& label) {
  const at::Tensor mask = label.to(at::kFloat);
  return {at::cat({mask, mask * 3 + 2}), label, "BRATS_002"};
}

/// Binomial 4σ acceptance: |count − n·p| ≤ 4·sqrt(n·p·(1 − p)).
bool within_four_sigma(int count, int n, double p) {
  return std::abs(count - n * p) <= 4.0 * std::sqrt(n * p * (1.0 - p)) + 1e-9;
}

BratsAugmentOptions spatial_only(Shape3 crop) {
  BratsAugmentOptions o;
  o.crop = crop;
  o.noise_p = o.blur_p = o.brightness_p = o.contrast_p = 0.0;
  return o;
}

}  // namespace

TEST_CASE("crop_zero_padded: inside windows are slices, outside parts are zeros", "[transforms]") {
  at::set_num_threads(1);
  const Sample sample = make_sample(2, 4, 5, 6);
  const Sample inside = crop_zero_padded(sample, {1, 2, 3}, {2, 3, 3});
  REQUIRE(inside.image.equal(sample.image.index({Slice(), Slice(1, 3), Slice(2, 5), Slice(3, 6)})));

  Sample labelled = sample;
  labelled.label = at::ones({1, 4, 5, 6}, at::kByte);
  const Sample out = crop_zero_padded(labelled, {-1, 3, -2}, {6, 4, 3});
  REQUIRE(out.image.sizes() == at::IntArrayRef{2, 6, 4, 3});
  REQUIRE(out.label.sizes() == at::IntArrayRef{1, 6, 4, 3});
  // Window rows: depth −1..4 (volume 0..3 at 1..4), height 3..6 (3, 4 at 0, 1), width −2..0 (0 at
  // 2).
  REQUIRE(out.image.index({Slice(), Slice(1, 5), Slice(0, 2), Slice(2, 3)})
              .equal(sample.image.index({Slice(), Slice(), Slice(3, 5), Slice(0, 1)})));
  REQUIRE(out.label.sum().item<std::int64_t>() == 4 * 2 * 1);
  REQUIRE(out.image.ne(0).sum().item<std::int64_t>() == 2 * 4 * 2 * 1);
}

TEST_CASE("RandForegroundCentredCrop: anchor = centre - shape/2 clamped into the volume",
          "[transforms]") {
  const Sample sample = make_sample(1, 9, 7, 11);
  const RandForegroundCentredCrop crop{{4, 5, 3}, 0.0};
  std::array<std::set<std::int64_t>, 3> anchors;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng_window(seed), rng_crop(seed);
    const CropWindow box = crop.window(sample, rng_window);
    const Shape3 volume{9, 7, 11};
    for (int a = 0; a < 3; ++a) {
      REQUIRE(box.centre[a] >= 0);
      REQUIRE(box.centre[a] < volume[a]);
      const std::int64_t unclamped = box.centre[a] - crop.shape[a] / 2;
      REQUIRE(box.anchor[a] == std::clamp<std::int64_t>(unclamped, 0, volume[a] - crop.shape[a]));
      anchors[a].insert(box.anchor[a]);
    }
    const Sample out = crop(sample, rng_crop);
    REQUIRE(out.image.sizes() == at::IntArrayRef{1, 4, 5, 3});
    // arange image: the first voxel of the crop names the anchor.
    REQUIRE(out.image[0][0][0][0].item<float>() ==
            static_cast<float>(1 + (box.anchor[0] * 7 + box.anchor[1]) * 11 + box.anchor[2]));
  }
  // Every start in [0, size − shape] occurs, the last one included.
  REQUIRE(anchors[0] == std::set<std::int64_t>{0, 1, 2, 3, 4, 5});
  REQUIRE(anchors[1] == std::set<std::int64_t>{0, 1, 2});
  REQUIRE(anchors[2] == std::set<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("RandForegroundCentredCrop: a volume smaller than the crop is padded with zeros",
          "[transforms]") {
  Sample sample = make_sample(2, 3, 5, 4);
  sample.label.fill_(1);
  const RandForegroundCentredCrop crop{{2, 8, 4}, 0.5};
  std::set<std::int64_t> height_anchors;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng_window(seed), rng_crop(seed);
    const CropWindow box = crop.window(sample, rng_window);
    // Height 5 < 8: the window covers the whole axis, anchor in [5 − 8, 0].
    REQUIRE(box.anchor[1] == std::clamp<std::int64_t>(box.centre[1] - 4, -3, 0));
    height_anchors.insert(box.anchor[1]);
    const Sample out = crop(sample, rng_crop);
    REQUIRE(out.image.sizes() == at::IntArrayRef{2, 2, 8, 4});
    REQUIRE(out.label.sizes() == at::IntArrayRef{1, 2, 8, 4});
    // All 5 rows of the 2 chosen slices are there; the other 3 rows are zero padding.
    REQUIRE(out.label.sum().item<std::int64_t>() == 2 * 5 * 4);
    const at::Tensor rows = sample.image.index({Slice(), Slice(box.anchor[0], box.anchor[0] + 2)});
    REQUIRE(
        out.image.index({Slice(), Slice(), Slice(-box.anchor[1], 5 - box.anchor[1])}).equal(rows));
    REQUIRE(out.image.ne(0).sum().item<std::int64_t>() == 2 * 2 * 5 * 4);
  }
  REQUIRE(height_anchors == std::set<std::int64_t>{-3, -2, -1, 0});
}

TEST_CASE("RandForegroundCentredCrop: foreground centres at the oversampling rate",
          "[transforms]") {
  // 10×10×10 volume, 100 foreground voxels (fraction 0.1) scattered over it.
  Sample sample = make_sample(1, 10, 10, 10);
  sample.label.view({-1}).index_put_({at::arange(0, 1000, 10)}, 2);
  REQUIRE(sample.label.count_nonzero().item<std::int64_t>() == 100);
  // A 1×1×1 crop is never clamped, so it holds the centre voxel.
  const int draws = 2000;
  for (const double oversampling : {0.0, 0.33, 1.0}) {
    const RandForegroundCentredCrop crop{{1, 1, 1}, oversampling};
    int foreground = 0;
    for (std::uint64_t seed = 0; seed < draws; ++seed) {
      Rng rng(seed);
      foreground += crop(sample, rng).label.item<std::uint8_t>() > 0;
    }
    const double expected = oversampling + (1.0 - oversampling) * 0.1;
    INFO("oversampling " << oversampling << ": " << foreground << " foreground of " << draws);
    REQUIRE(within_four_sigma(foreground, draws, expected));
  }
}

TEST_CASE("RandForegroundCentredCrop: foreground centres are uniform over foreground voxels",
          "[transforms]") {
  Sample sample = make_sample(1, 6, 6, 6);
  const std::vector<Shape3> voxels{{0, 0, 0}, {1, 5, 2}, {5, 5, 5}, {3, 0, 4}};
  for (const auto& v : voxels) sample.label.index_put_({0, v[0], v[1], v[2]}, 1);
  const RandForegroundCentredCrop crop{{2, 2, 2}, 1.0};
  std::map<Shape3, int> hits;
  const int draws = 2000;
  for (std::uint64_t seed = 0; seed < draws; ++seed) {
    Rng rng(seed);
    hits[crop.window(sample, rng).centre]++;
  }
  REQUIRE(hits.size() == 4);
  for (const auto& v : voxels) REQUIRE(within_four_sigma(hits[v], draws, 0.25));

  // Without foreground the coin falls back to a uniform voxel.
  sample.label.zero_();
  std::set<Shape3> centres;
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    Rng rng(seed);
    centres.insert(crop.window(sample, rng).centre);
  }
  REQUIRE(centres.size() > 150);  // 216 voxels, 500 draws: ~196 distinct expected
}

TEST_CASE("resize_nearest_3d reads floor((i + 0.5) · in / out)", "[transforms]") {
  const at::Tensor x = at::arange(5, at::kFloat).view({1, 5, 1, 1});
  const at::Tensor up = resize_nearest_3d(x, {8, 1, 1});
  // (2i + 1)·5 / 16 for i = 0..7, by hand.
  REQUIRE(up.flatten().equal(at::tensor({0.f, 0.f, 1.f, 2.f, 2.f, 3.f, 4.f, 4.f})));
  const at::Tensor y = at::arange(6, at::kFloat).view({1, 1, 1, 6});
  REQUIRE(resize_nearest_3d(y, {1, 1, 4}).flatten().equal(at::tensor({0.f, 2.f, 3.f, 5.f})));
}

TEST_CASE("resize_cubic_3d is separable Keys cubic (a = -0.75) with half-pixel centres",
          "[transforms]") {
  at::manual_seed(3);
  const at::Tensor x = at::randn({2, 4, 3, 5});
  // Depth only: compare with a direct 1-D Keys interpolation written here.
  const auto keys = [](double t) {
    const double a = -0.75, s = std::abs(t);
    if (s <= 1) return ((a + 2) * s - (a + 3)) * s * s + 1;
    if (s < 2) return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
    return 0.0;
  };
  const std::int64_t out_depth = 7;
  const at::Tensor resized = resize_cubic_3d(x, {out_depth, 3, 5});
  REQUIRE(resized.sizes() == at::IntArrayRef{2, 7, 3, 5});
  at::Tensor expected = at::zeros({2, out_depth, 3, 5}, at::kDouble);
  const at::Tensor xd = x.to(at::kDouble);
  for (std::int64_t i = 0; i < out_depth; ++i) {
    const double source = (i + 0.5) * 4.0 / out_depth - 0.5;
    const auto base = static_cast<std::int64_t>(std::floor(source));
    for (std::int64_t k = base - 1; k <= base + 2; ++k) {
      const std::int64_t clamped = std::clamp<std::int64_t>(k, 0, 3);
      expected.select(1, i).add_(xd.select(1, clamped), keys(source - static_cast<double>(k)));
    }
  }
  REQUIRE(at::allclose(resized.to(at::kDouble), expected, 1e-5, 1e-5));

  // In-plane only: exactly ATen's bicubic on each slice.
  const at::Tensor plane = resize_cubic_3d(x, {4, 6, 8});
  REQUIRE(plane.equal(
      at::upsample_bicubic2d(x.reshape({1, 8, 3, 5}), {6, 8}, false).view({2, 4, 6, 8})));
  // Same shape: unchanged; a constant stays constant.
  REQUIRE(resize_cubic_3d(x, {4, 3, 5}).equal(x));
  REQUIRE(at::allclose(resize_cubic_3d(at::full({1, 3, 4, 5}, 2.5), {5, 7, 6}),
                       at::full({1, 5, 7, 6}, 2.5), 0, 1e-5));
}

TEST_CASE("gaussian_blur_3d equals a direct 3-D convolution with reflect-101 borders",
          "[transforms]") {
  at::manual_seed(4);
  const at::Tensor x = at::rand({2, 3, 4, 5});
  const double sigma = 0.8;  // radius ceil(2.4) = 3 > depth − 1: the mirror wraps twice
  const at::Tensor blurred = gaussian_blur_3d(x, sigma);
  const auto reflect = [](std::int64_t j, std::int64_t n) {
    while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
    return j;
  };
  std::vector<double> w;
  double total = 0;
  for (int k = -3; k <= 3; ++k) total += w.emplace_back(std::exp(-k * k / (2 * sigma * sigma)));
  const auto acc = x.accessor<float, 4>();
  double worst = 0;
  for (std::int64_t c = 0; c < 2; ++c)
    for (std::int64_t d = 0; d < 3; ++d)
      for (std::int64_t h = 0; h < 4; ++h)
        for (std::int64_t v = 0; v < 5; ++v) {
          double sum = 0;
          for (int i = -3; i <= 3; ++i)
            for (int j = -3; j <= 3; ++j)
              for (int k = -3; k <= 3; ++k)
                sum += w[i + 3] * w[j + 3] * w[k + 3] *
                       acc[c][reflect(d + i, 3)][reflect(h + j, 4)][reflect(v + k, 5)];
          sum /= total * total * total;
          worst = std::max(worst, std::abs(sum - blurred[c][d][h][v].item<double>()));
        }
  REQUIRE(worst < 1e-5);
  REQUIRE(at::allclose(gaussian_blur_3d(at::full({1, 3, 4, 5}, 7.0), 1.5),
                       at::full({1, 3, 4, 5}, 7.0)));
}

TEST_CASE("BraTS crop and flips keep label and image aligned voxel for voxel", "[transforms]") {
  at::manual_seed(5);
  const at::Tensor label = (at::rand({1, 12, 10, 9}) > 0.6).to(at::kByte);
  const Sample sample = label_mirroring_sample(label);
  BratsAugmentOptions options = spatial_only({6, 8, 11});  // W 9 < 11: padding too
  options.zoom_p = 0.0;
  options.flip_p = 0.5;
  options.oversampling = 0.5;
  const Compose pipeline = make_brats_train_transforms(options);
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    Rng rng(seed);
    const Sample out = pipeline(sample, rng);
    REQUIRE(out.image.sizes() == at::IntArrayRef{2, 6, 8, 11});
    REQUIRE(out.image[0].equal(out.label[0].to(at::kFloat)));
    REQUIRE(out.image[1].equal(out.label[0].to(at::kFloat) * 3 + 2 * out.image[1].ne(0)));
  }
}

TEST_CASE("BraTS zoom keeps the label aligned with the thresholded cubic image", "[transforms]") {
  // Stripes 4 voxels wide along one axis at a time: the cubic resize is then a 1-D step
  // response, above 0.5 exactly where nearest picks a label-1 voxel, and 0.5 at ties.
  BratsAugmentOptions options = spatial_only({12, 16, 14});
  options.zoom_p = 1.0;
  options.flip_p = 0.5;
  const Compose pipeline = make_brats_train_transforms(options);
  for (int axis = 1; axis <= 3; ++axis) {
    const std::int64_t sizes[] = {1, 20, 24, 22};
    at::Tensor stripes = at::arange(sizes[axis]).floor_divide(4).remainder(2).to(at::kByte);
    std::vector<std::int64_t> view{1, 1, 1, 1};
    view[static_cast<std::size_t>(axis)] = sizes[axis];
    const at::Tensor label = stripes.view(view).expand({1, 20, 24, 22}).contiguous();
    const Sample sample = label_mirroring_sample(label);
    int ties = 0;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      Rng rng(seed);
      const Sample out = pipeline(sample, rng);
      const at::Tensor value = out.image[0];
      const at::Tensor disagree = (value > 0.5).ne(out.label[0].to(at::kBool));
      REQUIRE((disagree.logical_and((value - 0.5).abs() > 1e-4)).sum().item<std::int64_t>() == 0);
      ties += disagree.any().item<bool>();
      REQUIRE(out.label.min().item<int>() == 0);
      REQUIRE(out.label.max().item<int>() == 1);
    }
    INFO("axis " << axis << ": " << ties << " of 40 crops had ties");
    REQUIRE(ties < 40);
  }
}

TEST_CASE("BraTS augmentations apply at their probabilities", "[transforms]") {
  at::manual_seed(6);
  Sample sample = make_sample(2, 4, 6, 5);
  sample.image = at::rand({2, 4, 6, 5}) * 2 - 1;
  sample.label = (at::rand({1, 4, 6, 5}) > 0.5).to(at::kByte);
  const int draws = 2000;
  const auto rate = [&](const TransformFn& op) {
    int changed = 0;
    for (std::uint64_t seed = 0; seed < draws; ++seed) {
      Rng rng(seed);
      changed += !op(sample, rng).image.equal(sample.image);
    }
    return changed;
  };
  // Zoom range below 0.9 so that every drawn scale shrinks an axis of 6 voxels or more.
  REQUIRE(within_four_sigma(rate(RandZoom{0.15, 0.7, 0.85}), draws, 0.15));
  REQUIRE(within_four_sigma(rate(RandGaussianNoise{0.15, 0.33}), draws, 0.15));
  REQUIRE(within_four_sigma(rate(RandGaussianBlur{0.15, 0.5, 1.5}), draws, 0.15));
  REQUIRE(within_four_sigma(rate(RandBrightness{0.15, 0.7, 1.3, false}), draws, 0.15));
  REQUIRE(within_four_sigma(rate(RandContrast{0.15, 0.65, 1.5}), draws, 0.15));

  // Flips: H and W each at 0.33 with their own coin (both at 0.33²), never depth.
  const Sample ordered = make_sample(1, 3, 4, 5);
  int flip_h = 0, flip_w = 0, both = 0;
  for (std::uint64_t seed = 0; seed < draws; ++seed) {
    Rng rng(seed);
    const Sample out = RandFlipHW{0.33}(ordered, rng);
    // arange image: the first voxel 1 + 5h + w names the flips.
    const auto first = static_cast<std::int64_t>(out.image[0][0][0][0].item<float>()) - 1;
    const bool h = first / 5 == 3, w = first % 5 == 4;
    std::vector<std::int64_t> axes;
    if (h) axes.push_back(2);
    if (w) axes.push_back(3);
    REQUIRE(out.image.equal(axes.empty() ? ordered.image : ordered.image.flip(axes)));
    REQUIRE(out.label.sizes() == ordered.label.sizes());
    flip_h += h;
    flip_w += w;
    both += h && w;
  }
  REQUIRE(within_four_sigma(flip_h, draws, 0.33));
  REQUIRE(within_four_sigma(flip_w, draws, 0.33));
  REQUIRE(within_four_sigma(both, draws, 0.33 * 0.33));
}

TEST_CASE("BraTS intensity augmentations stay in their value ranges", "[transforms]") {
  at::manual_seed(7);
  Sample sample = make_sample(2, 3, 4, 5);
  sample.image = at::rand({2, 3, 4, 5}) * 2 - 1;
  const double low = sample.image.min().item<double>(), high = sample.image.max().item<double>();
  int clamped_runs = 0;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    Rng rng(seed);
    Sample positive = sample;
    positive.image = sample.image.abs() + 1;
    const at::Tensor bright = RandBrightness{1.0, 0.7, 1.3, false}(positive, rng).image;
    const at::Tensor ratio = bright / positive.image;
    REQUIRE(ratio.min().item<double>() >= 0.7 - 1e-6);
    REQUIRE(ratio.max().item<double>() <= 1.3 + 1e-6);
    REQUIRE(ratio.max().item<double>() - ratio.min().item<double>() < 1e-5);

    const at::Tensor contrast = RandContrast{1.0, 0.65, 1.5}(sample, rng).image;
    REQUIRE(contrast.min().item<double>() >= low);
    REQUIRE(contrast.max().item<double>() <= high);
    const at::Tensor free = contrast.gt(low).logical_and(contrast.lt(high));
    const at::Tensor factor = contrast.masked_select(free) / sample.image.masked_select(free);
    REQUIRE(factor.min().item<double>() >= 0.65 - 1e-5);
    REQUIRE(factor.max().item<double>() <= 1.5 + 1e-5);
    REQUIRE(factor.max().item<double>() - factor.min().item<double>() < 1e-4);
    clamped_runs += free.logical_not().sum().item<std::int64_t>() > 2;  // more than min and max

    const at::Tensor noisy = RandGaussianNoise{1.0, 0.33}(sample, rng).image;
    REQUIRE((noisy - sample.image).std().item<double>() < 0.33 * 1.5);

    const at::Tensor blurred = RandGaussianBlur{1.0, 0.5, 1.5}(sample, rng).image;
    REQUIRE(blurred.min().item<double>() >= low - 1e-6);
    REQUIRE(blurred.max().item<double>() <= high + 1e-6);
  }
  REQUIRE(clamped_runs > 20);  // factors above 1 push values past the original range
}

TEST_CASE("BraTS pipeline: the same seed gives the same block", "[transforms]") {
  at::manual_seed(8);
  Sample sample{at::randn({4, 10, 12, 11}), (at::rand({1, 10, 12, 11}) > 0.7).to(at::kByte),
                "BRATS_003"};
  BratsAugmentOptions options;
  options.crop = {6, 8, 8};
  options.zoom_p = options.flip_p = options.noise_p = options.blur_p = options.brightness_p =
      options.contrast_p = 1.0;
  const Compose pipeline = make_brats_train_transforms(options);
  Rng first(42), second(42), other(43);
  const Sample a = pipeline(sample, first);
  const Sample b = pipeline(sample, second);
  const Sample c = pipeline(sample, other);
  REQUIRE(a.image.sizes() == at::IntArrayRef{4, 6, 8, 8});
  REQUIRE(a.label.sizes() == at::IntArrayRef{1, 6, 8, 8});
  REQUIRE(a.image.equal(b.image));
  REQUIRE(a.label.equal(b.label));
  REQUIRE(!a.image.equal(c.image));
}

TEST_CASE("make_brats_train_transforms: order, no-augment and option checks", "[transforms]") {
  REQUIRE(make_brats_train_transforms().names() ==
          std::vector<std::string>{"RandForegroundCentredCrop", "RandZoom", "RandFlipHW",
                                   "RandGaussianNoise", "RandGaussianBlur", "RandBrightness",
                                   "RandContrast"});
  BratsAugmentOptions off;
  off.augment = false;
  off.crop = {2, 3, 3};
  const Compose crop_only = make_brats_train_transforms(off);
  REQUIRE(crop_only.names() == std::vector<std::string>{"RandForegroundCentredCrop"});
  const Sample sample = make_sample(1, 4, 5, 6);
  Rng rng(1);
  const Sample out = crop_only(sample, rng);
  REQUIRE(out.image.sizes() == at::IntArrayRef{1, 2, 3, 3});
  REQUIRE(out.image.ge(1).all().item<bool>());  // untouched values of the arange image

  BratsAugmentOptions bad;
  bad.flip_p = 1.5;
  REQUIRE_THROWS_WITH(make_brats_train_transforms(bad),
                      Catch::Contains("flip_p must be a probability in [0, 1], found 1.5"));
  bad = {};
  bad.zoom_lo = 1.2;
  REQUIRE_THROWS_AS(make_brats_train_transforms(bad), ConfigError);

  Sample mismatched = make_sample(1, 4, 5, 6);
  mismatched.label = at::zeros({1, 4, 5, 7}, at::kByte);
  REQUIRE_THROWS_WITH(crop_only(mismatched, rng),
                      Catch::Contains("transform RandForegroundCentredCrop on BRATS_001") &&
                          Catch::Contains("image shape [1, 4, 5, 6] does not match label shape "
                                          "[1, 4, 5, 7]"));
}

TEST_CASE("layout_2d: (N, C, D, H, W) blocks become N·D slices in block order", "[transforms]") {
  const at::Tensor blocks = at::arange(2 * 3 * 4 * 5 * 6, at::kFloat).view({2, 3, 4, 5, 6});
  const at::Tensor slices = layout_2d(blocks);
  REQUIRE(slices.sizes() == at::IntArrayRef{8, 3, 5, 6});
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t z = 0; z < 4; ++z)
      for (std::int64_t c = 0; c < 3; ++c) REQUIRE(slices[n * 4 + z][c].equal(blocks[n][c][z]));
  // Slice 5 = block 1, depth 1; its channel 2 starts at flat index ((1·3 + 2)·4 + 1)·30 = 630.
  REQUIRE(slices[5][2][0][0].item<float>() == 630.0f);

  const at::Tensor labels = at::arange(2 * 4 * 5 * 6).to(at::kByte).view({2, 1, 4, 5, 6});
  const at::Tensor label_slices = layout_2d(labels);
  REQUIRE(label_slices.sizes() == at::IntArrayRef{8, 1, 5, 6});
  REQUIRE(label_slices[7][0].equal(labels[1][0][3]));
  REQUIRE_THROWS_WITH(layout_2d(at::zeros({2, 3, 4})),
                      Catch::Contains("expected a 5-D (N, C, D, H, W) batch, found 3"));
}
