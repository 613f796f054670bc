#include "segbench/models/unet2d.hpp"

#include <ATen/ops/batch_norm.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/leaky_relu.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/functional/instancenorm.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/instancenorm.h>
#include <torch/nn/modules/normalization.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "instance_norm_flat.hpp"
#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"
#include "segbench/models/fast_upsample2d.hpp"

namespace segbench {
namespace unet2d_detail {

using detail::shape_text;

constexpr int64_t kGroupNormGroups = 32;

torch::ExpandingArray<2> expanding(const Size2D& size) {
  return {size[0], size[1]};
}

/// The reference's get_padding: int((kernel - stride + 1) / 2) per axis.
torch::ExpandingArray<2> same_padding(const Size2D& kernel, const Size2D& stride) {
  return {(kernel[0] - stride[0] + 1) / 2, (kernel[1] - stride[1] + 1) / 2};
}

/// Conv2d (no bias) -> norm -> LeakyReLU, children "conv" and "norm" like the reference.
class ConvLayerImpl : public torch::nn::Module {
 public:
  ConvLayerImpl(int64_t in_channels, int64_t out_channels, const Size2D& kernel,
                const Size2D& stride, const Unet2DOptions& options)
      : negative_slope_(options.negative_slope),
        conv_(register_module(
            "conv",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, expanding(kernel))
                                  .stride(expanding(stride))
                                  .padding(same_padding(kernel, stride))
                                  .bias(false)))) {
    if (options.norm == "instance") {
      instance_norm_ = register_module(
          "norm", torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(out_channels)
                                                .eps(1e-5)
                                                .affine(true)
                                                .track_running_stats(false)));
    } else if (options.norm == "batch") {
      batch_norm_ = register_module(
          "norm", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out_channels).affine(true)));
    } else {
      group_norm_ = register_module(
          "norm", torch::nn::GroupNorm(
                      torch::nn::GroupNormOptions(kGroupNormGroups, out_channels).affine(true)));
    }
  }

  at::Tensor forward(const at::Tensor& x) {
    at::Tensor y = conv_->forward(x);
    if (instance_norm_ && y.is_cpu() && y.scalar_type() == at::kFloat) {
      return instance_norm_leaky_relu(y);
    }
    if (instance_norm_) y = instance_norm_->forward(y);
    if (batch_norm_) y = batch_norm_->forward(y);
    if (group_norm_) y = group_norm_->forward(y);
    return at::leaky_relu(y, negative_slope_);
  }

  /// InstanceNorm2d then LeakyReLU in place on batch norm's fresh output, as in the 3D U-Net
  /// (unet3d.cpp): at::instance_norm's own computation without a separate activation tensor.
  at::Tensor instance_norm_leaky_relu(const at::Tensor& y) const {
    at::Tensor out = detail::instance_norm_flat(y, *instance_norm_);
    at::leaky_relu_(out, negative_slope_);
    return out.view(y.sizes());
  }

 private:
  double negative_slope_;
  torch::nn::Conv2d conv_;
  torch::nn::InstanceNorm2d instance_norm_{nullptr};
  torch::nn::BatchNorm2d batch_norm_{nullptr};
  torch::nn::GroupNorm group_norm_{nullptr};
};
TORCH_MODULE(ConvLayer);

/// ConvLayer with the stage's stride, then ConvLayer with stride 1.
class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int64_t in_channels, int64_t out_channels, const Size2D& kernel,
                const Size2D& stride, const Unet2DOptions& options)
      : conv1_(register_module("conv1",
                               ConvLayer(in_channels, out_channels, kernel, stride, options))),
        conv2_(register_module(
            "conv2", ConvLayer(out_channels, out_channels, kernel, Size2D{1, 1}, options))) {}

  at::Tensor forward(const at::Tensor& x) { return conv2_->forward(conv1_->forward(x)); }

 private:
  ConvLayer conv1_;
  ConvLayer conv2_;
};
TORCH_MODULE(ConvBlock);

/// ConvTranspose2d (kernel = stride, with bias), concat [upsampled, skip], ConvBlock(2·out→out).
class UpsampleBlockImpl : public torch::nn::Module {
 public:
  UpsampleBlockImpl(int64_t in_channels, int64_t out_channels, const Size2D& kernel,
                    const Size2D& stride, const Unet2DOptions& options)
      : fast_upsample_(options.fast_upsample),
        transp_conv_(register_module(
            "transp_conv",
            torch::nn::ConvTranspose2d(
                torch::nn::ConvTranspose2dOptions(in_channels, out_channels, expanding(stride))
                    .stride(expanding(stride))
                    .padding(0)
                    .output_padding(0)
                    .bias(true)))),
        conv_block_(register_module("conv_block", ConvBlock(2 * out_channels, out_channels, kernel,
                                                            Size2D{1, 1}, options))) {}

  at::Tensor forward(const at::Tensor& x, const at::Tensor& skip) {
    const at::Tensor upsampled = fast_upsample_ ? conv_transpose2d_kernel_stride_as_conv(
                                                      x, transp_conv_->weight, transp_conv_->bias)
                                                : transp_conv_->forward(x);
    return conv_block_->forward(at::cat({upsampled, skip}, 1));
  }

 private:
  bool fast_upsample_;
  torch::nn::ConvTranspose2d transp_conv_;
  ConvBlock conv_block_;
};
TORCH_MODULE(UpsampleBlock);

/// Conv2d 1x1 with bias (bias starts at 0), child "conv".
class OutputBlockImpl : public torch::nn::Module {
 public:
  OutputBlockImpl(int64_t in_channels, int64_t n_class)
      : conv_(register_module(
            "conv",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, n_class, 1).bias(true)))) {}

  at::Tensor forward(const at::Tensor& x) { return conv_->forward(x); }

 private:
  torch::nn::Conv2d conv_;
};
TORCH_MODULE(OutputBlock);

void validate(const Unet2DOptions& options) {
  SEGBENCH_CHECK(options.in_channels > 0 && options.n_class > 0, ConfigError,
                 "Unet2D: expected in_channels > 0 and n_class > 0, found {} and {}",
                 options.in_channels, options.n_class);
  SEGBENCH_CHECK(options.patch[0] > 0 && options.patch[1] > 0, ConfigError,
                 "Unet2D: expected a positive patch size, found {}", shape_text(options.patch));
  SEGBENCH_CHECK(options.spacing[0] > 0.0 && options.spacing[1] > 0.0, ConfigError,
                 "Unet2D: expected a positive spacing, found {}", shape_text(options.spacing));
  SEGBENCH_CHECK(options.norm == "instance" || options.norm == "batch" || options.norm == "group",
                 ConfigError, "Unet2D: unknown norm '{}', expected instance, batch or group",
                 options.norm);
  SEGBENCH_CHECK(options.negative_slope >= 0.0, ConfigError,
                 "Unet2D: expected a non-negative LeakyReLU slope, found {}",
                 options.negative_slope);
}

void validate_filters(const Unet2DOptions& options, const std::vector<int64_t>& filters,
                      std::size_t stages) {
  SEGBENCH_CHECK(filters.size() == stages, ConfigError,
                 "Unet2D: patch {} gives {} stages, so expected {} filter sizes, found {} ([{}])",
                 shape_text(options.patch), stages, stages, filters.size(),
                 fmt::join(filters, ", "));
  for (const int64_t f : filters) {
    SEGBENCH_CHECK(f > 0, ConfigError, "Unet2D: expected positive filter sizes, found [{}]",
                   fmt::join(filters, ", "));
    SEGBENCH_CHECK(options.norm != "group" || f % kGroupNormGroups == 0, ConfigError,
                   "Unet2D: group norm needs filter sizes divisible by {}, found [{}]",
                   kGroupNormGroups, fmt::join(filters, ", "));
  }
}

}  // namespace unet2d_detail

Unet2DLayout unet2d_layout(Size2D patch, std::array<double, 2> spacing) {
  SEGBENCH_CHECK(patch[0] > 0 && patch[1] > 0 && spacing[0] > 0.0 && spacing[1] > 0.0, ConfigError,
                 "unet2d_layout: expected a positive patch and spacing, found {} and {}",
                 detail::shape_text(patch), detail::shape_text(spacing));
  constexpr std::size_t kMaxHalvings = 5;
  Unet2DLayout layout;
  std::array<double, 2> sizes{static_cast<double>(patch[0]), static_cast<double>(patch[1])};
  while (layout.strides.size() < kMaxHalvings) {
    const double finest = std::min(spacing[0], spacing[1]);
    Size2D stride{1, 1}, kernel{3, 3};
    for (std::size_t axis = 0; axis < 2; ++axis) {
      const bool fine_enough = spacing[axis] / finest <= 2.0;
      stride[axis] = fine_enough && sizes[axis] >= 8.0 ? 2 : 1;
      kernel[axis] = fine_enough ? 3 : 1;
    }
    if (stride == Size2D{1, 1}) break;
    for (std::size_t axis = 0; axis < 2; ++axis) {
      sizes[axis] /= static_cast<double>(stride[axis]);
      spacing[axis] *= static_cast<double>(stride[axis]);
    }
    layout.kernels.push_back(kernel);
    layout.strides.push_back(stride);
  }
  // As in the reference, the kernel list is shifted against the strides: stage i uses the
  // kernel of halving i + 1 and the bottleneck a 3x3 kernel (all 3x3 at isotropic spacing).
  layout.strides.insert(layout.strides.begin(), Size2D{1, 1});
  layout.kernels.push_back(Size2D{3, 3});
  return layout;
}

std::vector<int64_t> unet2d_default_filters(std::size_t stages) {
  std::vector<int64_t> filters;
  for (std::size_t i = 0; i < stages; ++i) {
    filters.push_back(std::min<int64_t>(int64_t{1} << (5 + std::min<std::size_t>(i, 9)), 512));
  }
  return filters;
}

struct Unet2DImpl::Layers {
  unet2d_detail::ConvBlock input_block{nullptr};
  std::vector<unet2d_detail::ConvBlock> downsamples;
  unet2d_detail::ConvBlock bottleneck{nullptr};
  std::vector<unet2d_detail::UpsampleBlock> upsamples;
  unet2d_detail::OutputBlock output_block{nullptr};
  std::vector<unet2d_detail::OutputBlock> heads;
};

Unet2DImpl::Unet2DImpl(Unet2DOptions options)
    : options_(std::move(options)), layers_(std::make_shared<Layers>()) {
  using namespace unet2d_detail;
  validate(options_);
  layout_ = unet2d_layout(options_.patch, options_.spacing);
  const std::size_t stages = layout_.strides.size();
  SEGBENCH_CHECK(stages >= 2, ConfigError,
                 "Unet2D: patch {} is too small to be halved (each axis needs >= 8 pixels)",
                 shape_text(options_.patch));
  filters_ = options_.filters.empty() ? unet2d_default_filters(stages) : options_.filters;
  validate_filters(options_, filters_, stages);
  const auto& kernels = layout_.kernels;
  const auto& strides = layout_.strides;

  layers_->input_block = register_module(
      "input_block",
      ConvBlock(options_.in_channels, filters_[0], kernels[0], strides[0], options_));
  torch::nn::ModuleList downsamples;
  for (std::size_t i = 1; i + 1 < stages; ++i) {
    layers_->downsamples.emplace_back(filters_[i - 1], filters_[i], kernels[i], strides[i],
                                      options_);
    downsamples->push_back(layers_->downsamples.back());
  }
  register_module("downsamples", downsamples);
  layers_->bottleneck =
      register_module("bottleneck", ConvBlock(filters_[stages - 2], filters_[stages - 1],
                                              kernels[stages - 1], strides[stages - 1], options_));
  torch::nn::ModuleList upsamples;
  for (std::size_t i = stages - 1; i >= 1; --i) {
    layers_->upsamples.emplace_back(filters_[i], filters_[i - 1], kernels[i], strides[i], options_);
    upsamples->push_back(layers_->upsamples.back());
  }
  register_module("upsamples", upsamples);
  layers_->output_block =
      register_module("output_block", OutputBlock(filters_[0], options_.n_class));
  if (options_.deep_supervision) {
    torch::nn::ModuleList heads;
    for (std::size_t level = 1; level + 1 < stages; ++level) {
      layers_->heads.emplace_back(filters_[level], options_.n_class);
      heads->push_back(layers_->heads.back());
    }
    register_module("deep_supervision_heads", heads);
  }

  // kaiming_normal_(a = slope, fan_in, leaky_relu) on every Conv2d (transposed convs keep the
  // PyTorch default); the output and head biases start at 0.
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, options_.negative_slope, torch::kFanIn,
                                       torch::kLeakyReLU);
      if (conv->bias.defined()) torch::nn::init::zeros_(conv->bias);
    }
  }
}

Size2D Unet2DImpl::min_input_multiple() const {
  Size2D multiple{1, 1};
  for (const Size2D& stride : layout_.strides) {
    multiple[0] *= stride[0];
    multiple[1] *= stride[1];
  }
  return multiple;
}

std::vector<at::Tensor> Unet2DImpl::run(const at::Tensor& x_NCHW, bool with_heads) {
  using detail::shape_text;
  SEGBENCH_CHECK(x_NCHW.dim() == 4 && x_NCHW.size(1) == options_.in_channels, ConfigError,
                 "Unet2D: expected input (N, {}, H, W), found shape {}", options_.in_channels,
                 shape_text(x_NCHW.sizes()));
  const Size2D multiple = min_input_multiple();
  for (std::size_t axis = 0; axis < 2; ++axis) {
    const int64_t size = x_NCHW.size(static_cast<int64_t>(axis) + 2);
    SEGBENCH_CHECK(size > 0 && size % multiple[axis] == 0, ConfigError,
                   "Unet2D: input shape {} has {} = {}, expected a positive multiple of {} (the "
                   "product of the strides for patch {})",
                   shape_text(x_NCHW.sizes()), axis == 0 ? "H" : "W", size, multiple[axis],
                   shape_text(options_.patch));
  }

  std::vector<at::Tensor> skips;
  at::Tensor x = layers_->input_block->forward(x_NCHW);
  skips.push_back(x);
  for (auto& block : layers_->downsamples) {
    x = block->forward(x);
    skips.push_back(x);
  }
  x = layers_->bottleneck->forward(x);
  std::vector<at::Tensor> decoder_outputs;
  for (std::size_t i = 0; i < layers_->upsamples.size(); ++i) {
    x = layers_->upsamples[i]->forward(x, skips[skips.size() - 1 - i]);
    decoder_outputs.push_back(x);
  }
  std::vector<at::Tensor> outputs{layers_->output_block->forward(x)};
  if (with_heads) {
    // The reference's decoder_outputs[-3:-1][::-1]: the second- and third-finest decoder
    // outputs, through heads 0 and 1.
    const std::size_t count = decoder_outputs.size();
    for (std::size_t i = 0; i < 2 && i + 2 <= count && i < layers_->heads.size(); ++i) {
      outputs.push_back(layers_->heads[i]->forward(decoder_outputs[count - 2 - i]));
    }
  }
  return outputs;
}

std::vector<at::Tensor> Unet2DImpl::forward_all(const at::Tensor& x_NCHW) {
  return run(x_NCHW, is_training() && options_.deep_supervision);
}

at::Tensor Unet2DImpl::forward(const at::Tensor& x_NCHW) {
  return run(x_NCHW, false).front();
}

}  // namespace segbench
