// Instance norm as ATen computes it (batch norm over the (1, N*C, ...) view, affine weights
// repeated per sample), returning batch norm's fresh output so that the caller's activation can
// run in place on it: applied to at::instance_norm's result, which is a view, an in-place
// activation would cost autograd a CopySlices. Private to src/models (the 2-D and 3-D U-Nets).
#pragma once

#include <ATen/ops/batch_norm.h>

#include <cstdint>
#include <vector>

namespace segbench::detail {

/// `norm`: a torch InstanceNorm{2,3}dImpl with affine weights. Returns the flat (1, N*C, ...)
/// result; view it back with .view(y.sizes()) after the in-place activation.
template <class InstanceNormImpl>
at::Tensor instance_norm_flat(const at::Tensor& y, const InstanceNormImpl& norm) {
  const int64_t n = y.size(0), c = y.size(1);
  std::vector<int64_t> flat_shape(y.sizes().begin(), y.sizes().end());
  flat_shape[0] = 1;
  flat_shape[1] = n * c;
  return at::batch_norm(y.reshape(flat_shape), norm.weight.repeat({n}), norm.bias.repeat({n}),
                        /*running_mean=*/{}, /*running_var=*/{}, /*training=*/true,
                        /*momentum=*/0.0, norm.options.eps(), /*cudnn_enabled=*/false);
}

}  // namespace segbench::detail
