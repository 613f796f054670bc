#include "segbench/models/module_size.hpp"

namespace segbench {

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const at::Tensor& p : module.parameters()) total += p.numel();
  return total;
}

int64_t count_buffer_elements(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const at::Tensor& b : module.buffers()) total += b.numel();
  return total;
}

}  // namespace segbench
