// The Model concept: a torch module holder mapping an input batch to logits.
#pragma once

#include <ATen/core/Tensor.h>

#include <concepts>
#include <vector>

namespace segbench {

/// Satisfied by torch::nn::ModuleHolder types (accessed through ->), e.g. Unet3D.
template <class M>
concept Model = requires(M m, const at::Tensor& x) {
  { m->forward(x) } -> std::convertible_to<at::Tensor>;
  { m->parameters() } -> std::convertible_to<std::vector<at::Tensor>>;
  m->train(true);
  m.ptr();  // the shared module (train() checkpoints and switches eval/train through it)
  { m->is_training() } -> std::convertible_to<bool>;
};

}  // namespace segbench
