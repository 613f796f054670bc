// The MLCommons 3D U-Net (fidelity §1.3): encoder of stride-2 conv blocks, transposed-conv decoder
// with skip concatenation, 1x1x1 output conv. Module tier: include only where modules are needed.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace segbench {

struct Unet3DOptions {
  int64_t in_channels = 1;
  int64_t n_class = 3;
  /// filters[0]: input block; filters[1..]: down stages; the bottleneck repeats filters.back().
  /// There are filters.size() stride-2 stages, so each spatial size must be a multiple of
  /// 2^filters.size() (32 for the reference).
  std::vector<int64_t> filters{32, 64, 128, 256, 320};
  std::string normalization = "instancenorm";  ///< "instancenorm" | "batchnorm" | "none"
  std::string activation = "relu";             ///< "relu" | "leaky_relu" (slope 0.01)
  /// Up-sample with a 1x1x1 conv + depth-to-space instead of ConvTranspose3d (same parameters,
  /// same result; fidelity §6: ~10x faster on CPU with the reference BLAS).
  bool fast_upsample = true;
};

/// A named group of tensors, e.g. {"down0_block_1_conv", {weight}}, for MLLOG
/// weights_initialization events.
using InitializationGroup = std::pair<std::string, std::vector<at::Tensor>>;

/// Parameter names follow the reference's state_dict ("input_block.conv1.0.weight",
/// "downsample.0.conv2.1.bias", "upsample.4.upsample_conv.0.weight", "output.conv.0.bias").
class Unet3DImpl : public torch::nn::Module {
 public:
  explicit Unet3DImpl(Unet3DOptions options = {});

  /// x: float (N, in_channels, D, H, W), each spatial size a multiple of min_input_multiple().
  /// Returns logits (N, n_class, D, H, W).
  at::Tensor forward(const at::Tensor& x_NCDHW);

  /// The reference's weights_initialization tensors in its order: input_block_{0,1}_{conv,norm},
  /// down{0..n-1}_block_{0,1}_{conv,norm} (the last down stage is the bottleneck),
  /// up{0..n-1}_deconv, up{i}_block_{0,1}_{conv,norm}, output_conv; 50 for the reference. The
  /// norm suffix is the normalization name; with "none" the norm groups are left out.
  std::vector<InitializationGroup> initialization_groups() const;

  int64_t min_input_multiple() const;
  const Unet3DOptions& options() const { return options_; }

 private:
  struct Layers;  // typed handles to the registered submodules (defined in the .cpp)
  Unet3DOptions options_;
  std::shared_ptr<Layers> layers_;
};

TORCH_MODULE(Unet3D);

}  // namespace segbench
