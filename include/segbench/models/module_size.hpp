// How big a module is: parameter and buffer element counts of a module and its submodules.
// Module tier.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>

namespace segbench {

/// Number of parameter elements of a module and all its submodules.
int64_t count_parameters(const torch::nn::Module& module);

/// Number of buffer elements (e.g. BatchNorm running statistics and step counters) of a module
/// and all its submodules.
int64_t count_buffer_elements(const torch::nn::Module& module);

}  // namespace segbench
