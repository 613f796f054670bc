// The Dataset concept and the Sample it yields. Tensor tier (ATen core only).
#pragma once

#include <ATen/core/Tensor.h>

#include <concepts>
#include <cstddef>
#include <string>

namespace segbench {

/// One training or validation case.
/// image: float32 (C, D, H, W); label: uint8 (1, D, H, W) with class indices.
struct Sample {
  at::Tensor image;
  at::Tensor label;
  std::string case_id;
};

/// A random-access collection of samples; batching is done by the loader over get().
template <class D>
concept Dataset = requires(const D& d, std::size_t i) {
  { d.size() } -> std::convertible_to<std::size_t>;
  { d.get(i) } -> std::same_as<Sample>;
  { d.case_id(i) } -> std::convertible_to<std::string>;
};

}  // namespace segbench
