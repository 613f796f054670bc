// --device: where a run trains. Tensor tier.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace segbench {

/// "auto": cuda:(local_rank mod GPUs) when CUDA is available, else the CPU; "cpu"; "cuda" (the
/// local rank's GPU); "cuda:N". A CUDA device this process cannot use is a ConfigError that
/// says why (a LibTorch without CUDA, or no GPU visible) — never a late failure.
c10::Device resolve_device(const std::string& requested, int local_rank);

}  // namespace segbench
