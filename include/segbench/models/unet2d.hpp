// The nnU-Net 2D U-Net of the BraTS benchmark (fidelity §3.5): kernels and strides derived from the
// patch size, conv blocks of Conv2d + norm + LeakyReLU, transposed-conv decoder with skip
// concatenation, 1x1 output conv and deep-supervision heads. Module tier: include only where
// modules are needed. Legend: N batch, C channels, H W spatial.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace segbench {

using Size2D = std::array<int64_t, 2>;

/// Per-stage kernels and strides of the reference's get_unet_params: stage 0 is the input block
/// (stride 1x1), stages 1..n-2 the down blocks, stage n-1 the bottleneck. An axis is halved while
/// its size is >= 8 and its spacing is at most twice the finest, at most 5 times.
struct Unet2DLayout {
  std::vector<Size2D> kernels;
  std::vector<Size2D> strides;
};

/// get_unet_params for a 2-D patch (H, W) and pixel spacing. [192, 160] with spacing [1, 1] gives
/// strides [1,1] then [2,2] five times, all kernels 3x3.
Unet2DLayout unet2d_layout(Size2D patch, std::array<double, 2> spacing = {1.0, 1.0});

/// The reference filters: min(2^(5+i), 512) for each of the `stages` stages.
std::vector<int64_t> unet2d_default_filters(std::size_t stages);

struct Unet2DOptions {
  int64_t in_channels = 4;
  int64_t n_class = 4;
  /// One entry per stage of the layout (input block, down blocks, bottleneck); empty: the
  /// reference's unet2d_default_filters (32, 64, 128, 256, 512, 512 for [192, 160]).
  std::vector<int64_t> filters{};
  /// The training patch (H, W) and spacing, from which the strides are derived (fidelity §3.5).
  Size2D patch{192, 160};
  std::array<double, 2> spacing{1.0, 1.0};
  /// Builds the deep-supervision heads; training-mode forward_all() then returns two of them.
  bool deep_supervision = true;
  std::string norm = "instance";  ///< "instance" | "batch" | "group" (32 groups)
  double negative_slope = 0.01;   ///< LeakyReLU slope, also the kaiming init's `a`
  /// Up-sample with a 1x1 conv + depth-to-space instead of ConvTranspose2d (same parameters,
  /// same result; fidelity §6).
  bool fast_upsample = true;
};

/// Parameter names follow the reference's state_dict ("input_block.conv1.conv.weight",
/// "downsamples.3.conv2.norm.bias", "upsamples.0.transp_conv.weight",
/// "upsamples.4.conv_block.conv1.conv.weight", "output_block.conv.bias",
/// "deep_supervision_heads.0.conv.weight").
class Unet2DImpl : public torch::nn::Module {
 public:
  explicit Unet2DImpl(Unet2DOptions options = {});

  /// x: float (N, in_channels, H, W), H and W multiples of min_input_multiple().
  /// In training mode with deep supervision: {main (N, n_class, H, W), head 0 on the 64-channel
  /// decoder output (H/2, W/2), head 1 on the 128-channel one (H/4, W/4)} (channel counts for
  /// the reference filters); otherwise {main}.
  std::vector<at::Tensor> forward_all(const at::Tensor& x_NCHW);

  /// The main logits (N, n_class, H, W) in either mode; the heads are not evaluated.
  at::Tensor forward(const at::Tensor& x_NCHW);

  /// Product of the strides along each axis (32 x 32 for [192, 160]).
  Size2D min_input_multiple() const;
  const Unet2DLayout& layout() const { return layout_; }
  /// The resolved filters (options().filters or the default).
  const std::vector<int64_t>& filters() const { return filters_; }
  const Unet2DOptions& options() const { return options_; }

 private:
  struct Layers;  // typed handles to the registered submodules (defined in the .cpp)
  std::vector<at::Tensor> run(const at::Tensor& x_NCHW, bool with_heads);

  Unet2DOptions options_;
  Unet2DLayout layout_;
  std::vector<int64_t> filters_;
  std::shared_ptr<Layers> layers_;
};

TORCH_MODULE(Unet2D);

}  // namespace segbench
