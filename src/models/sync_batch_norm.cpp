#include "segbench/models/sync_batch_norm.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdint>
#include <vector>

#include "segbench/detail/shape_text.hpp"
#include "segbench/dist/any_context.hpp"
#include "segbench/error.hpp"

namespace segbench {
namespace {

using detail::shape_text;

std::vector<int64_t> all_but_channel_dims(const at::Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

/// (C) -> (1, C, 1, ...) to broadcast over input.
at::Tensor per_channel(const at::Tensor& v, const at::Tensor& input) {
  std::vector<int64_t> shape(static_cast<std::size_t>(input.dim()), 1);
  shape[1] = v.size(0);
  return v.view(shape);
}

/// y = (x - mean) * invstd * weight + bias with mean and invstd already reduced over the group;
/// backward reduces the output-gradient sums over the group.
struct SyncBatchNormFunction : torch::autograd::Function<SyncBatchNormFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input,
                            const at::Tensor& weight, const at::Tensor& bias,
                            const at::Tensor& mean, const at::Tensor& invstd, double group_count,
                            int64_t group_address) {
    ctx->save_for_backward({input, weight, mean, invstd});
    ctx->saved_data["count"] = group_count;
    // An autograd context stores IValues only; the group outlives the graph (it is owned by
    // the module whose forward built it), so its address is kept as an integer.
    ctx->saved_data["group"] = group_address;
    const at::Tensor scale = invstd * weight;
    return (input - per_channel(mean, input)) * per_channel(scale, input) +
           per_channel(bias, input);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& input = saved[0];
    const at::Tensor& weight = saved[1];
    const at::Tensor& mean = saved[2];
    const at::Tensor& invstd = saved[3];
    const double count = ctx->saved_data["count"].toDouble();
    auto& group = *reinterpret_cast<AnyContext*>(ctx->saved_data["group"].toInt());

    const at::Tensor grad_out = grad_outputs[0].contiguous();
    const auto dims = all_but_channel_dims(input);
    const at::Tensor centred = input - per_channel(mean, input);
    const at::Tensor sum_dy = grad_out.sum(dims);
    const at::Tensor sum_dy_centred = (grad_out * centred).sum(dims);
    const at::Tensor grad_weight = sum_dy_centred * invstd;
    const at::Tensor grad_bias = sum_dy;

    at::Tensor group_sums = at::cat({sum_dy, sum_dy_centred}).to(at::kDouble);
    group.allreduce_sum(group_sums);
    const int64_t channels = input.size(1);
    const at::Tensor mean_dy = (group_sums.slice(0, 0, channels) / count).to(input.scalar_type());
    const at::Tensor mean_dy_centred =
        (group_sums.slice(0, channels) / count).to(input.scalar_type());
    const at::Tensor grad_input =
        (grad_out - per_channel(mean_dy, input) -
         centred * per_channel(invstd * invstd * mean_dy_centred, input)) *
        per_channel(invstd * weight, input);
    return {grad_input,   grad_weight,  grad_bias,   at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor sync_batch_norm(const at::Tensor& input, const at::Tensor& weight,
                           const at::Tensor& bias, at::Tensor& running_mean,
                           at::Tensor& running_var, double momentum, double eps,
                           AnyContext& group) {
  SEGBENCH_CHECK(input.dim() >= 2 && weight.defined() && bias.defined() &&
                     weight.numel() == input.size(1) && bias.numel() == input.size(1),
                 ConfigError,
                 "sync_batch_norm: expected input (N, C, ...) with weight and bias of C elements, "
                 "found input {}, weight {}, bias {}",
                 shape_text(input.sizes()), weight.defined() ? shape_text(weight.sizes()) : "none",
                 bias.defined() ? shape_text(bias.sizes()) : "none");
  const int64_t channels = input.size(1);
  const auto dims = all_but_channel_dims(input);

  // Local count, mean and biased variance per channel, then the group's moments in double:
  // sum = n * mean and sum of squares = n * (var + mean^2) add up over ranks.
  at::Tensor group_mean;
  at::Tensor group_var;
  double count = 0;
  {
    at::NoGradGuard no_grad;
    const at::Tensor x = input.detach();
    const double local_count = static_cast<double>(x.numel() / std::max<int64_t>(channels, 1));
    const at::Tensor mean = x.mean(dims).to(at::kDouble);
    const at::Tensor var =
        (x - per_channel(mean.to(x.scalar_type()), x)).square().mean(dims).to(at::kDouble);
    at::Tensor moments = at::cat({at::full({1}, local_count, mean.options()), mean * local_count,
                                  (var + mean * mean) * local_count});
    group.allreduce_sum(moments);
    count = moments[0].item<double>();
    SEGBENCH_CHECK(count > 1, ConfigError,
                   "sync_batch_norm: expected more than 1 value per channel over the group of {} "
                   "rank(s), found {} (input {})",
                   group.world_size(), count, shape_text(input.sizes()));
    group_mean = moments.slice(0, 1, 1 + channels) / count;
    group_var = moments.slice(0, 1 + channels) / count - group_mean * group_mean;
    group_var.clamp_min_(0.0);

    running_mean.mul_(1.0 - momentum).add_(group_mean.to(running_mean.scalar_type()), momentum);
    running_var.mul_(1.0 - momentum)
        .add_((group_var * (count / (count - 1))).to(running_var.scalar_type()), momentum);
  }
  const at::Tensor mean = group_mean.to(input.scalar_type());
  const at::Tensor invstd = (group_var + eps).rsqrt().to(input.scalar_type());
  return SyncBatchNormFunction::apply(input, weight, bias, mean, invstd, count,
                                      reinterpret_cast<int64_t>(&group));
}

}  // namespace segbench
