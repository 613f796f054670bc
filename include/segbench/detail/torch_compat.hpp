// The one place where LibTorch 1.13 (Debian) and 2.x (PyTorch wheels) differ for segbench.
// Module tier: include only from .cpp files that already use torch::optim.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/optim/optimizer.h>
#include <torch/version.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace segbench::detail {

inline constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

/// Optimizer::state() is keyed by std::string (1.13) or by the TensorImpl pointer (2.x).
template <class TensorT>  // a template so that only the taken branch is instantiated
auto optimizer_state_key(const TensorT& param) {
  using Key =
      typename std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;  // what 1.13's c10::guts::to_string did (gone in 2.x)
    key << param.unsafeGetTensorImpl();
    return key.str();
  } else {
    return static_cast<Key>(param.unsafeGetTensorImpl());
  }
}

/// Autocast on `device` (CPU or CUDA) on or off with the given lower-precision dtype:
/// set_cpu_enabled / set_enabled and set_autocast_{cpu,gpu}_dtype up to 2.3;
/// set_autocast_enabled / set_autocast_dtype(device, ...) from 2.4, where the old names are
/// deprecated.
inline void set_autocast(at::DeviceType device, bool enabled,
                         at::ScalarType dtype = at::kBFloat16) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == at::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
  if (!enabled) at::autocast::clear_cache();
}

inline void set_cpu_autocast(bool enabled, at::ScalarType dtype = at::kBFloat16) {
  set_autocast(at::kCPU, enabled, dtype);
}

}  // namespace segbench::detail
