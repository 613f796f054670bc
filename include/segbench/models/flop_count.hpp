// Model FLOPs, counted from the shapes of the convolutions and matrix products a forward pass
// runs, and the dense tensor-core peaks of the GPUs the benchmarks run on: model FLOP
// utilisation (MFU) in bench/gpu_step_bench. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace segbench {

/// Multiply-add FLOPs (2 per multiply-accumulate) of the products `forward` runs on this thread:
/// every aten::convolution (2 × weight elements × batch × output positions; for a transposed
/// convolution, × input positions) and aten::mm / addmm / bmm / baddbmm (2 n k m per matrix).
/// Element-wise work, normalisation and up-sampling are not counted, as in MFU by convention.
int64_t forward_flops(const std::function<void()>& forward);

/// The FLOPs of one training step from those of its forward pass: backward computes one product
/// for the input gradient and one for the weight gradient of each forward product, so 3× (the
/// convention of MFU since PaLM, Chowdhery et al. 2022, appendix B).
constexpr int64_t training_step_flops(int64_t forward) {
  return 3 * forward;
}

/// Dense (no structured sparsity) tensor-core peaks in FLOP/s of one GPU.
struct DevicePeak {
  std::string_view name;
  double bf16 = 0;  ///< bfloat16 inputs, fp32 accumulation
  double tf32 = 0;  ///< float32 convolutions and products on TF32 tensor cores
};

/// The peak of the GPU whose CUDA device name is `device_name` (as nvidia-smi prints it), from
/// NVIDIA's data sheets: H100 SXM5 and H200 SXM 989.4 TFLOP/s bf16, 494.7 TF32; H100 PCIe 756.5
/// and 378; H100 NVL and H200 NVL 835.5 and 417.5 (the data sheets list twice these "with
/// sparsity"). nullopt for any other GPU.
std::optional<DevicePeak> device_peak(std::string_view device_name);

}  // namespace segbench
