#include "segbench/models/deeplabv3_plus.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "segbench/detail/shape_text.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/error.hpp"
#include "segbench/models/sync_batch_norm.hpp"

namespace segbench {
namespace deeplab_detail {

using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;
using torch::nn::ConvTranspose2d;
using torch::nn::ConvTranspose2dOptions;
using torch::nn::Sequential;

Conv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
              int64_t dilation = 1, int64_t groups = 1, bool bias = false) {
  return Conv2d(Conv2dOptions(in, out, kernel)
                    .stride(stride)
                    .padding(padding)
                    .dilation(dilation)
                    .groups(groups)
                    .bias(bias));
}

/// ConvTranspose2d k3 s2 p1 output_padding 1, no bias: doubles H and W.
ConvTranspose2d deconv2d(int64_t in, int64_t out) {
  return ConvTranspose2d(
      ConvTranspose2dOptions(in, out, 3).stride(2).padding(1).output_padding(1).bias(false));
}

torch::nn::ReLU relu(bool inplace) {
  return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(inplace));
}

/// kaiming_normal_(fan_in, gain sqrt 2) on the weight of every Conv2d below `root`.
void kaiming_init_convs(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (const auto& module : root.modules(/*include_self=*/false)) {
    if (auto* conv = module->as<Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanIn, torch::kLeakyReLU);
    }
  }
}

constexpr double kBatchNormEps = 1e-5;
constexpr double kBatchNormMomentum = 0.1;

/// BatchNorm2d (eps 1e-5, momentum 0.1) wrapped as child "bn", like the reference's GBN. With a
/// group set, training-mode statistics are synchronised over it (nn.SyncBatchNorm).
class NormImpl : public torch::nn::Module {
 public:
  explicit NormImpl(int64_t channels)
      : bn_(register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels)
                                                             .eps(kBatchNormEps)
                                                             .momentum(kBatchNormMomentum)))) {}
  at::Tensor forward(const at::Tensor& x) {
    if (!group_ || !bn_->is_training()) return bn_->forward(x);
    {
      torch::NoGradGuard no_grad;
      bn_->num_batches_tracked.add_(1);
    }
    return sync_batch_norm(x, bn_->weight, bn_->bias, bn_->running_mean, bn_->running_var,
                           kBatchNormMomentum, kBatchNormEps, *group_);
  }
  void set_group(std::shared_ptr<AnyContext> group) { group_ = std::move(group); }

 private:
  torch::nn::BatchNorm2d bn_;
  std::shared_ptr<AnyContext> group_;
};
TORCH_MODULE(Norm);

/// Depthwise Conv2d k3 (stride, dilation d, padding d) then pointwise 1x1; no bias, no BN.
class SeparableConvImpl : public torch::nn::Module {
 public:
  SeparableConvImpl(int64_t in, int64_t out, int64_t stride = 1, int64_t dilation = 1)
      : depthwise_(
            register_module("conv1", conv2d(in, in, 3, stride, dilation, dilation, /*groups=*/in))),
        pointwise_(register_module("pointwise", conv2d(in, out, 1))) {}
  at::Tensor forward(const at::Tensor& x) { return pointwise_->forward(depthwise_->forward(x)); }

 private:
  Conv2d depthwise_;
  Conv2d pointwise_;
};
TORCH_MODULE(SeparableConv);

struct BlockSpec {
  int64_t in;
  int64_t out;
  int64_t reps;
  int64_t stride = 1;
  int64_t dilation = 1;
  bool end_with_relu = true;
  bool grow_first = true;
  bool is_last = false;
};

/// Xception residual block (fidelity §2.2): reps x [SepConv -> BN -> ReLU] without the final ReLU,
/// plus a stride-2 (or, when last, stride-1) SepConv; skip is identity or 1x1 conv -> BN.
class XceptionBlockImpl : public torch::nn::Module {
 public:
  explicit XceptionBlockImpl(const BlockSpec& spec) : end_with_relu_(spec.end_with_relu) {
    if (spec.out != spec.in || spec.stride != 1) {
      skip_ = register_module("skip", conv2d(spec.in, spec.out, 1, spec.stride));
      skip_norm_ = register_module("skipbn", Norm(spec.out));
    }
    std::vector<torch::nn::AnyModule> units;
    const auto unit = [&](int64_t in, int64_t out) {
      units.emplace_back(SeparableConv(in, out, 1, spec.dilation));
      units.emplace_back(Norm(out));
      units.emplace_back(relu(/*inplace=*/true));
    };
    int64_t filters = spec.in;
    if (spec.grow_first) {
      unit(spec.in, spec.out);
      filters = spec.out;
    }
    for (int64_t i = 0; i + 1 < spec.reps; ++i) unit(filters, filters);
    if (!spec.grow_first) unit(spec.in, spec.out);
    units.pop_back();  // the block's last ReLU is dropped
    if (spec.stride != 1) units.emplace_back(SeparableConv(spec.out, spec.out, spec.stride));
    if (spec.stride == 1 && spec.is_last) units.emplace_back(SeparableConv(spec.out, spec.out));
    Sequential rep;
    for (auto& u : units) rep->push_back(std::move(u));
    rep_ = register_module("rep", rep);
  }

  at::Tensor forward(const at::Tensor& input) {
    at::Tensor x = rep_->forward(input);
    x.add_(skip_ ? skip_norm_->forward(skip_->forward(input)) : input);
    return end_with_relu_ ? x.relu_() : x;
  }

 private:
  bool end_with_relu_;
  Conv2d skip_{nullptr};
  Norm skip_norm_{nullptr};
  Sequential rep_{nullptr};
};
TORCH_MODULE(XceptionBlock);

/// Channel counts of the reference scaled by the width option.
struct Channels {
  explicit Channels(double width) : width_(width) {}
  int64_t operator()(int64_t reference) const {
    return std::max<int64_t>(1, std::llround(static_cast<double>(reference) * width_));
  }

 private:
  double width_;
};

/// Modified aligned Xception at output stride 16. forward returns {features at 1/16, low-level
/// features at 1/4 (block1's output, ReLU'd in place like the reference)}.
class XceptionImpl : public torch::nn::Module {
 public:
  XceptionImpl(int64_t in_channels, const Channels& ch) {
    conv1_ = register_module("conv1", conv2d(in_channels, ch(32), 3, 2, 1));
    bn1_ = register_module("bn1", Norm(ch(32)));
    conv2_ = register_module("conv2", conv2d(ch(32), ch(64), 3, 1, 1));
    bn2_ = register_module("bn2", Norm(ch(64)));
    std::vector<BlockSpec> specs{
        {.in = ch(64), .out = ch(128), .reps = 2, .stride = 2, .end_with_relu = false},
        {.in = ch(128), .out = ch(256), .reps = 2, .stride = 2},
        {.in = ch(256), .out = ch(728), .reps = 2, .stride = 2, .is_last = true}};
    for (int i = 0; i < 16; ++i) specs.push_back({.in = ch(728), .out = ch(728), .reps = 3});
    specs.push_back({.in = ch(728),
                     .out = ch(1024),
                     .reps = 2,
                     .end_with_relu = false,
                     .grow_first = false,
                     .is_last = true});
    for (std::size_t i = 0; i < specs.size(); ++i) {
      blocks_.push_back(register_module("block" + std::to_string(i + 1), XceptionBlock(specs[i])));
    }
    conv3_ = register_module("conv3", SeparableConv(ch(1024), ch(1536), 1, 2));
    bn3_ = register_module("bn3", Norm(ch(1536)));
    conv4_ = register_module("conv4", SeparableConv(ch(1536), ch(1536), 1, 2));
    bn4_ = register_module("bn4", Norm(ch(1536)));
    conv5_ = register_module("conv5", SeparableConv(ch(1536), ch(2048), 1, 2));
    bn5_ = register_module("bn5", Norm(ch(2048)));
    kaiming_init_convs(*this);
  }

  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& input) {
    at::Tensor x = bn1_->forward(conv1_->forward(input)).relu_();
    x = bn2_->forward(conv2_->forward(x)).relu_();
    x = blocks_[0]->forward(x);
    const at::Tensor low_level = x;
    x.relu_();  // in place: the decoder's low-level features see this ReLU too
    for (std::size_t i = 1; i < blocks_.size(); ++i) x = blocks_[i]->forward(x);
    x = bn3_->forward(conv3_->forward(x)).relu_();
    x = bn4_->forward(conv4_->forward(x)).relu_();
    x = bn5_->forward(conv5_->forward(x)).relu_();
    return {x, low_level};
  }

 private:
  Conv2d conv1_{nullptr}, conv2_{nullptr};
  Norm bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr}, bn4_{nullptr}, bn5_{nullptr};
  std::vector<XceptionBlock> blocks_;
  SeparableConv conv3_{nullptr}, conv4_{nullptr}, conv5_{nullptr};
};
TORCH_MODULE(Xception);

/// ASPP branch: Conv2d 1x1 (rate 1) or 3x3 with dilation = padding = rate -> BN -> ReLU;
/// kaiming-normal conv.
class AsppBranchImpl : public torch::nn::Module {
 public:
  AsppBranchImpl(int64_t in, int64_t out, int64_t rate)
      : conv_(register_module("atrous_convolution",
                              rate == 1 ? conv2d(in, out, 1) : conv2d(in, out, 3, 1, rate, rate))),
        norm_(register_module("bn", Norm(out))) {
    kaiming_init_convs(*this);
  }
  at::Tensor forward(const at::Tensor& x) { return norm_->forward(conv_->forward(x)).relu_(); }

 private:
  Conv2d conv_;
  Norm norm_;
};
TORCH_MODULE(AsppBranch);

/// Per-channel learnable scale ("weights", init 1) and shift ("bias", init 0), no statistics.
class TrainableAffineImpl : public torch::nn::Module {
 public:
  explicit TrainableAffineImpl(int64_t channels)
      : weights_(register_parameter("weights", at::ones({channels, 1, 1}))),
        bias_(register_parameter("bias", at::zeros({channels, 1, 1}))) {}
  at::Tensor forward(const at::Tensor& x) { return weights_ * x + bias_; }

 private:
  at::Tensor weights_;
  at::Tensor bias_;
};
TORCH_MODULE(TrainableAffine);

/// Global average -> 1x1 conv -> affine -> ReLU, as child "global_average_pool" (a sequence)
/// like the reference; returns (N, out, 1, 1).
class ImagePoolingImpl : public torch::nn::Module {
 public:
  ImagePoolingImpl(int64_t in, int64_t out)
      : layers_(register_module(
            "global_average_pool",
            Sequential(torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)),
                       conv2d(in, out, 1), TrainableAffine(out), relu(/*inplace=*/false)))) {}
  at::Tensor forward(const at::Tensor& x) { return layers_->forward(x); }

 private:
  Sequential layers_;
};
TORCH_MODULE(ImagePooling);

/// ASPP ("Bottleneck"): four atrous branches (rates 1, 6, 12, 18) and image pooling
/// (global average -> 1x1 conv -> affine -> ReLU, broadcast back to the feature map), concat,
/// 1x1 conv -> BN -> ReLU.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t in, int64_t out) {
    for (const int64_t rate : {1, 6, 12, 18}) {
      const std::string name = "aspp" + std::to_string(branches_.size() + 1);
      branches_.push_back(register_module(name, AsppBranch(in, out, rate)));
    }
    image_pooling_ = register_module("global_avg_pool", ImagePooling(in, out));
    conv_ = register_module("conv", conv2d(5 * out, out, 1));
    norm_ = register_module("bn", Norm(out));
  }

  at::Tensor forward(const at::Tensor& x) {
    std::vector<at::Tensor> parts;
    parts.reserve(5);
    for (auto& branch : branches_) parts.push_back(branch->forward(x));
    // The reference tiles by the constant (1, 1, 48, 72); expanding to the actual size is the
    // same at 768 x 1152 and correct elsewhere (fidelity §2.7).
    parts.push_back(image_pooling_->forward(x).expand({-1, -1, x.size(2), x.size(3)}));
    return norm_->forward(conv_->forward(at::cat(parts, 1))).relu_();
  }

 private:
  std::vector<AsppBranch> branches_;
  ImagePooling image_pooling_{nullptr};
  Conv2d conv_{nullptr};
  Norm norm_{nullptr};
};
TORCH_MODULE(Bottleneck);

/// Decoder: two deconvs (1/16 -> 1/4), concat with the low-level features, two 3x3 convs and a
/// 1x1 conv with bias, a deconv to 1/2 and a last deconv (no BN) to the class logits.
class DeconvUpsamplerImpl : public torch::nn::Module {
 public:
  DeconvUpsamplerImpl(int64_t channels, int64_t low_level_channels, int64_t n_classes) {
    deconv1_ = register_module(
        "deconv1", Sequential(deconv2d(channels, channels), Norm(channels), relu(false),
                              deconv2d(channels, channels), Norm(channels), relu(false)));
    conv1_ = register_module(
        "conv1",
        Sequential(conv2d(channels + low_level_channels, channels, 3, 1, 1), Norm(channels),
                   relu(false), conv2d(channels, channels, 3, 1, 1), Norm(channels), relu(false),
                   conv2d(channels, channels, 1, 1, 0, 1, 1, /*bias=*/true)));
    deconv2_ = register_module(
        "deconv2", Sequential(deconv2d(channels, channels), Norm(channels), relu(false)));
    last_deconv_ = register_module("last_deconv", Sequential(deconv2d(channels, n_classes)));
  }

  at::Tensor forward(const at::Tensor& x, const at::Tensor& low_level) {
    at::Tensor y = deconv1_->forward(x);
    y = conv1_->forward(at::cat({y, low_level}, 1));
    return last_deconv_->forward(deconv2_->forward(y));
  }

 private:
  Sequential deconv1_{nullptr}, conv1_{nullptr}, deconv2_{nullptr}, last_deconv_{nullptr};
};
TORCH_MODULE(DeconvUpsampler);

void validate(const DeepLabV3PlusOptions& options) {
  SEGBENCH_CHECK(options.in_channels > 0 && options.n_classes > 0, ConfigError,
                 "DeepLabV3Plus: expected in_channels > 0 and n_classes > 0, found {} and {}",
                 options.in_channels, options.n_classes);
  SEGBENCH_CHECK(std::isfinite(options.width) && options.width > 0.0 && options.width <= 16.0,
                 ConfigError, "DeepLabV3Plus: expected a width in (0, 16], found {}",
                 options.width);
}

}  // namespace deeplab_detail

struct DeepLabV3PlusImpl::Layers {
  deeplab_detail::Xception xception{nullptr};
  deeplab_detail::Bottleneck bottleneck{nullptr};
  torch::nn::Conv2d low_level_conv{nullptr};
  deeplab_detail::Norm low_level_norm{nullptr};
  deeplab_detail::DeconvUpsampler decoder{nullptr};
};

DeepLabV3PlusImpl::DeepLabV3PlusImpl(DeepLabV3PlusOptions options)
    : options_(options), layers_(std::make_shared<Layers>()) {
  using namespace deeplab_detail;
  validate(options_);
  const Channels ch(options_.width);
  // Construction order follows the reference, so default initialisations draw in its order.
  layers_->xception = register_module("xception_features", Xception(options_.in_channels, ch));
  layers_->bottleneck = register_module("bottleneck", Bottleneck(ch(2048), ch(256)));
  layers_->low_level_conv = register_module("conv2", conv2d(ch(128), ch(48), 1));
  layers_->low_level_norm = register_module("bn2", Norm(ch(48)));
  layers_->decoder =
      register_module("upsample", DeconvUpsampler(ch(256), ch(48), options_.n_classes));
}

at::Tensor DeepLabV3PlusImpl::forward(const at::Tensor& x_NCHW) {
  using detail::shape_text;
  SEGBENCH_CHECK(x_NCHW.dim() == 4 && x_NCHW.size(1) == options_.in_channels, ConfigError,
                 "DeepLabV3Plus: expected input (N, {}, H, W), found shape {}",
                 options_.in_channels, shape_text(x_NCHW.sizes()));
  for (int64_t axis = 2; axis < 4; ++axis) {
    SEGBENCH_CHECK(x_NCHW.size(axis) > 0 && x_NCHW.size(axis) % kInputMultiple == 0, ConfigError,
                   "DeepLabV3Plus: input shape {} has spatial size {} on axis {}, expected a "
                   "positive multiple of {} (output stride 16)",
                   shape_text(x_NCHW.sizes()), x_NCHW.size(axis), axis, kInputMultiple);
  }
  auto [features, low_level] = layers_->xception->forward(x_NCHW);
  const at::Tensor context = layers_->bottleneck->forward(features);
  const at::Tensor low =
      layers_->low_level_norm->forward(layers_->low_level_conv->forward(low_level)).relu_();
  return layers_->decoder->forward(context, low);
}

int64_t DeepLabV3PlusImpl::batch_norm_count() const {
  int64_t count = 0;
  for (const auto& module : modules(/*include_self=*/false)) {
    if (module->as<torch::nn::BatchNorm2d>() != nullptr) ++count;
  }
  return count;
}

void DeepLabV3PlusImpl::set_batchnorm_group(std::shared_ptr<AnyContext> group) {
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* norm = module->as<deeplab_detail::NormImpl>()) norm->set_group(group);
  }
}

}  // namespace segbench
