// Cuts a batch of 3-D blocks into a batch of 2-D slices (the reference's utils.layout_2d,
// fidelity §3.4). Tensor tier. Legend: N blocks, C channels, D slices per block, HW in-plane.
#pragma once

#include "segbench/error.hpp"

#include <ATen/core/Tensor.h>

namespace segbench {

/// (N, C, D, H, W) → (N·D, C, H, W); slice z of block n becomes sample n·D + z. Works for images
/// and for labels (N, 1, D, H, W) → (N·D, 1, H, W) alike.
inline at::Tensor layout_2d(const at::Tensor& blocks_NCDHW) {
  SEGBENCH_CHECK(blocks_NCDHW.defined() && blocks_NCDHW.dim() == 5, DataError,
                 "layout_2d: expected a 5-D (N, C, D, H, W) batch, found {} dimensions",
                 blocks_NCDHW.defined() ? blocks_NCDHW.dim() : 0);
  const auto n = blocks_NCDHW.size(0), c = blocks_NCDHW.size(1), d = blocks_NCDHW.size(2);
  return blocks_NCDHW.transpose(1, 2).reshape(
      {n * d, c, blocks_NCDHW.size(3), blocks_NCDHW.size(4)});
}

}  // namespace segbench
