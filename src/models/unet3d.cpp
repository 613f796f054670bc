#include "segbench/models/unet3d.hpp"
#include "instance_norm_flat.hpp"
#include "segbench/detail/shape_text.hpp"

#include <ATen/ops/batch_norm.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/leaky_relu.h>
#include <ATen/ops/relu.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/functional/instancenorm.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/instancenorm.h>

#include <cstddef>
#include <string>

#include "segbench/error.hpp"
#include "segbench/models/fast_upsample.hpp"

namespace segbench {
namespace unet3d_detail {

using detail::shape_text;

std::vector<at::Tensor> defined_only(std::vector<at::Tensor> tensors) {
  std::erase_if(tensors, [](const at::Tensor& t) { return !t.defined(); });
  return tensors;
}

/// Conv3d k3 (bias only without normalization) -> norm -> activation. Children "0" (conv) and
/// "1" (norm) match the reference's nn.Sequential(conv, norm, act).
class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                const Unet3DOptions& options)
      : normalization_(options.normalization), leaky_(options.activation == "leaky_relu") {
    const bool with_norm = normalization_ != "none";
    conv_ = register_module("0",
                            torch::nn::Conv3d(torch::nn::Conv3dOptions(in_channels, out_channels, 3)
                                                  .stride(stride)
                                                  .padding(1)
                                                  .bias(!with_norm)));
    if (normalization_ == "instancenorm") {
      instance_norm_ = register_module(
          "1", torch::nn::InstanceNorm3d(torch::nn::InstanceNorm3dOptions(out_channels)
                                             .eps(1e-5)
                                             .affine(true)
                                             .track_running_stats(false)));
    } else if (normalization_ == "batchnorm") {
      batch_norm_ = register_module("1", torch::nn::BatchNorm3d(out_channels));
    }
  }

  at::Tensor forward(const at::Tensor& x) {
    at::Tensor y = conv_->forward(x);
    if (instance_norm_ && y.is_cpu() && y.scalar_type() == at::kFloat) {
      return instance_norm_activation(y);
    }
    if (instance_norm_) y = instance_norm_->forward(y);
    if (batch_norm_) y = batch_norm_->forward(y);
    return leaky_ ? at::leaky_relu(y, 0.01) : at::relu(y);
  }

  /// InstanceNorm3d (input statistics, affine) then the activation in place on the norm's fresh
  /// output (instance_norm_flat.hpp). Same values as the module path.
  at::Tensor instance_norm_activation(const at::Tensor& y) const {
    at::Tensor out = detail::instance_norm_flat(y, *instance_norm_);
    if (leaky_) {
      at::leaky_relu_(out, 0.01);
    } else {
      at::relu_(out);
    }
    return out.view(y.sizes());
  }

  void append_groups(const std::string& prefix, std::vector<InitializationGroup>& groups) const {
    groups.emplace_back(prefix + "_conv", defined_only({conv_->weight, conv_->bias}));
    if (instance_norm_) {
      groups.emplace_back(prefix + "_" + normalization_,
                          std::vector<at::Tensor>{instance_norm_->weight, instance_norm_->bias});
    }
    if (batch_norm_) {
      groups.emplace_back(prefix + "_" + normalization_,
                          std::vector<at::Tensor>{batch_norm_->weight, batch_norm_->bias});
    }
  }

 private:
  std::string normalization_;
  bool leaky_;
  torch::nn::Conv3d conv_{nullptr};
  torch::nn::InstanceNorm3d instance_norm_{nullptr};
  torch::nn::BatchNorm3d batch_norm_{nullptr};
};
TORCH_MODULE(ConvBlock);

/// Two conv blocks, the first with the given stride: the input block (stride 1), every down
/// stage and the bottleneck (stride 2).
class TwoConvBlockImpl : public torch::nn::Module {
 public:
  TwoConvBlockImpl(int64_t in_channels, int64_t out_channels, int64_t first_stride,
                   const Unet3DOptions& options)
      : conv1_(
            register_module("conv1", ConvBlock(in_channels, out_channels, first_stride, options))),
        conv2_(register_module("conv2", ConvBlock(out_channels, out_channels, 1, options))) {}

  at::Tensor forward(const at::Tensor& x) { return conv2_->forward(conv1_->forward(x)); }

  /// Groups "<prefix>_0_conv", "<prefix>_0_<norm>", "<prefix>_1_conv", ...
  void append_groups(const std::string& prefix, std::vector<InitializationGroup>& groups) const {
    conv1_->append_groups(prefix + "_0", groups);
    conv2_->append_groups(prefix + "_1", groups);
  }

 private:
  ConvBlock conv1_;
  ConvBlock conv2_;
};
TORCH_MODULE(TwoConvBlock);

/// ConvTranspose3d k2 s2 (with bias, no norm, no activation), concat [upsampled, skip], then
/// two conv blocks from 2*out to out channels.
class UpBlockImpl : public torch::nn::Module {
 public:
  UpBlockImpl(int64_t in_channels, int64_t out_channels, const Unet3DOptions& options)
      : fast_upsample_(options.fast_upsample),
        deconv_(torch::nn::ConvTranspose3dOptions(in_channels, out_channels, 2)
                    .stride(2)
                    .padding(0)
                    .bias(true)),
        conv1_(2 * out_channels, out_channels, 1, options),
        conv2_(out_channels, out_channels, 1, options) {
    register_module("upsample_conv", torch::nn::ModuleList(deconv_));
    register_module("conv1", conv1_);
    register_module("conv2", conv2_);
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& skip) {
    const at::Tensor upsampled =
        fast_upsample_ ? conv_transpose3d_k2s2_as_conv(x, deconv_->weight, deconv_->bias)
                       : deconv_->forward(x);
    return conv2_->forward(conv1_->forward(at::cat({upsampled, skip}, 1)));
  }

  void append_groups(const std::string& prefix, std::vector<InitializationGroup>& groups) const {
    groups.emplace_back(prefix + "_deconv",
                        std::vector<at::Tensor>{deconv_->weight, deconv_->bias});
    conv1_->append_groups(prefix + "_block_0", groups);
    conv2_->append_groups(prefix + "_block_1", groups);
  }

 private:
  bool fast_upsample_;
  torch::nn::ConvTranspose3d deconv_;
  ConvBlock conv1_;
  ConvBlock conv2_;
};
TORCH_MODULE(UpBlock);

/// Conv3d k1 with bias to the class logits, registered as "conv.0" like the reference.
class OutputLayerImpl : public torch::nn::Module {
 public:
  OutputLayerImpl(int64_t in_channels, int64_t n_class)
      : conv_(torch::nn::Conv3dOptions(in_channels, n_class, 1).bias(true)) {
    register_module("conv", torch::nn::ModuleList(conv_));
  }

  at::Tensor forward(const at::Tensor& x) { return conv_->forward(x); }

  void append_groups(std::vector<InitializationGroup>& groups) const {
    groups.emplace_back("output_conv", std::vector<at::Tensor>{conv_->weight, conv_->bias});
  }

 private:
  torch::nn::Conv3d conv_;
};
TORCH_MODULE(OutputLayer);

void validate(const Unet3DOptions& options) {
  SEGBENCH_CHECK(options.in_channels > 0 && options.n_class > 0, ConfigError,
                 "Unet3D: expected in_channels > 0 and n_class > 0, found {} and {}",
                 options.in_channels, options.n_class);
  SEGBENCH_CHECK(!options.filters.empty() && options.filters.size() <= 16, ConfigError,
                 "Unet3D: expected 1 to 16 filter sizes, found {}", options.filters.size());
  for (const int64_t f : options.filters) {
    SEGBENCH_CHECK(f > 0, ConfigError, "Unet3D: expected positive filter sizes, found [{}]",
                   fmt::join(options.filters, ", "));
  }
  const std::string& norm = options.normalization;
  SEGBENCH_CHECK(norm == "instancenorm" || norm == "batchnorm" || norm == "none", ConfigError,
                 "Unet3D: unknown normalization '{}', expected instancenorm, batchnorm or none",
                 norm);
  SEGBENCH_CHECK(options.activation == "relu" || options.activation == "leaky_relu", ConfigError,
                 "Unet3D: unknown activation '{}', expected relu or leaky_relu",
                 options.activation);
}

}  // namespace unet3d_detail

struct Unet3DImpl::Layers {
  unet3d_detail::TwoConvBlock input_block{nullptr};
  std::vector<unet3d_detail::TwoConvBlock> down;    // down0 .. down{n-2}
  unet3d_detail::TwoConvBlock bottleneck{nullptr};  // logged as down{n-1}
  std::vector<unet3d_detail::UpBlock> up;
  unet3d_detail::OutputLayer output{nullptr};
};

Unet3DImpl::Unet3DImpl(Unet3DOptions options)
    : options_(std::move(options)), layers_(std::make_shared<Layers>()) {
  using namespace unet3d_detail;
  validate(options_);
  const std::vector<int64_t>& filters = options_.filters;
  const std::size_t stages = filters.size();

  layers_->input_block =
      register_module("input_block", TwoConvBlock(options_.in_channels, filters[0], 1, options_));
  torch::nn::ModuleList downsample;
  for (std::size_t i = 0; i + 1 < stages; ++i) {
    layers_->down.emplace_back(filters[i], filters[i + 1], 2, options_);
    downsample->push_back(layers_->down.back());
  }
  register_module("downsample", downsample);
  layers_->bottleneck =
      register_module("bottleneck", TwoConvBlock(filters.back(), filters.back(), 2, options_));
  torch::nn::ModuleList upsample;
  layers_->up.emplace_back(filters.back(), filters.back(), options_);
  upsample->push_back(layers_->up.back());
  for (std::size_t i = stages - 1; i > 0; --i) {
    layers_->up.emplace_back(filters[i], filters[i - 1], options_);
    upsample->push_back(layers_->up.back());
  }
  register_module("upsample", upsample);
  layers_->output = register_module("output", OutputLayer(filters[0], options_.n_class));
}

int64_t Unet3DImpl::min_input_multiple() const {
  return int64_t{1} << static_cast<int64_t>(options_.filters.size());
}

at::Tensor Unet3DImpl::forward(const at::Tensor& x_NCDHW) {
  using unet3d_detail::shape_text;
  SEGBENCH_CHECK(x_NCDHW.dim() == 5 && x_NCDHW.size(1) == options_.in_channels, ConfigError,
                 "Unet3D: expected input (N, {}, D, H, W), found shape {}", options_.in_channels,
                 shape_text(x_NCDHW.sizes()));
  const int64_t multiple = min_input_multiple();
  for (int64_t axis = 2; axis < 5; ++axis) {
    SEGBENCH_CHECK(x_NCDHW.size(axis) > 0 && x_NCDHW.size(axis) % multiple == 0, ConfigError,
                   "Unet3D: input shape {} has spatial size {} on axis {}, expected a positive "
                   "multiple of {} ({} stride-2 stages)",
                   shape_text(x_NCDHW.sizes()), x_NCDHW.size(axis), axis, multiple,
                   options_.filters.size());
  }

  std::vector<at::Tensor> skips;
  skips.reserve(options_.filters.size());
  at::Tensor x = layers_->input_block->forward(x_NCDHW);
  skips.push_back(x);
  for (auto& block : layers_->down) {
    x = block->forward(x);
    skips.push_back(x);
  }
  x = layers_->bottleneck->forward(x);
  for (std::size_t i = 0; i < layers_->up.size(); ++i) {
    x = layers_->up[i]->forward(x, skips[skips.size() - 1 - i]);
  }
  return layers_->output->forward(x);
}

std::vector<InitializationGroup> Unet3DImpl::initialization_groups() const {
  std::vector<InitializationGroup> groups;
  layers_->input_block->append_groups("input_block", groups);
  for (std::size_t i = 0; i < layers_->down.size(); ++i) {
    layers_->down[i]->append_groups(fmt::format("down{}_block", i), groups);
  }
  layers_->bottleneck->append_groups(fmt::format("down{}_block", layers_->down.size()), groups);
  for (std::size_t i = 0; i < layers_->up.size(); ++i) {
    layers_->up[i]->append_groups(fmt::format("up{}", i), groups);
  }
  layers_->output->append_groups(groups);
  return groups;
}

}  // namespace segbench
