// BatchNorm whose training-mode batch statistics are those of a group of ranks (the whole
// group's batch), as torch.nn.SyncBatchNorm computes them; DeepCAM's --batchnorm_group_size.
// Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

namespace segbench {

class AnyContext;

/// Normalises input (N, C, *) with the mean and biased variance of the union of the batches
/// of every rank in `group`, scales by weight (C) and shifts by bias (C); updates running_mean
/// and running_var (unbiased, over the group's element count) with `momentum` like BatchNorm.
/// Differentiable in input, weight and bias. Backward allreduces the per-channel sums of the
/// output gradient over the group, so the input gradient is that of the group's summed loss;
/// the weight and bias gradients stay local (the data-parallel gradient average adds them up).
/// Every rank of the group must call it in the same order (forward and backward).
at::Tensor sync_batch_norm(const at::Tensor& input, const at::Tensor& weight,
                           const at::Tensor& bias, at::Tensor& running_mean,
                           at::Tensor& running_var, double momentum, double eps, AnyContext& group);

}  // namespace segbench
