#include "segbench/run/device.hpp"

#include <fmt/core.h>
#include <torch/cuda.h>

#include "segbench/error.hpp"

namespace segbench {
namespace {

std::string why_no_cuda() {
#ifdef SEGBENCH_HAVE_CUDA
  return "this CUDA build sees no GPU (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides them)";
#else
  return "this build's LibTorch has no CUDA support (build with ./run.sh build cuda)";
#endif
}

}  // namespace

c10::Device resolve_device(const std::string& requested, int local_rank) {
  if (requested == "cpu") return c10::Device(c10::kCPU);
  const bool available = torch::cuda::is_available();
  const auto gpus = available ? static_cast<int>(torch::cuda::device_count()) : 0;
  if (requested == "auto") {
    return available ? c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank % gpus))
                     : c10::Device(c10::kCPU);
  }
  SEGBENCH_CHECK(requested == "cuda" || requested.starts_with("cuda:"), ConfigError,
                 "--device {}: expected auto, cpu, cuda or cuda:N", requested);
  SEGBENCH_CHECK(available, ConfigError, "--device {}: CUDA is not available: {}", requested,
                 why_no_cuda());
  int index = local_rank % gpus;
  if (requested != "cuda") {
    try {
      std::size_t used = 0;
      index = std::stoi(requested.substr(5), &used);
      SEGBENCH_CHECK(used == requested.size() - 5, ConfigError, "bad index");
    } catch (const std::exception&) {
      throw ConfigError(fmt::format("--device {}: expected cuda:N with N a GPU index", requested));
    }
  }
  SEGBENCH_CHECK(index >= 0 && index < gpus, ConfigError,
                 "--device {}: this process sees {} GPU(s) (indices 0-{})", requested, gpus,
                 gpus - 1);
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace segbench
