#include "segbench/dist/gradient_sync.hpp"

#include <ATen/ATen.h>

#include <chrono>

#include "segbench/error.hpp"

namespace segbench {

void broadcast_tensors(const std::vector<at::Tensor>& tensors, AnyContext& ctx, int root) {
  if (ctx.world_size() == 1) return;
  at::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    at::Tensor target = t;  // shares storage: broadcast writes into the parameter
    ctx.broadcast(target, root);
  }
}

void average_floating_tensors(const std::vector<at::Tensor>& tensors, AnyContext& ctx) {
  if (ctx.world_size() == 1) return;
  at::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    if (!t.is_floating_point()) continue;
    at::Tensor target = t;
    ctx.allreduce_sum(target);
    target.div_(ctx.world_size());
  }
}

GradientAverager::GradientAverager(std::vector<at::Tensor> parameters, AnyContext& ctx,
                                   std::size_t bucket_bytes)
    : parameters_(std::move(parameters)), ctx_(ctx) {
  SEGBENCH_CHECK(bucket_bytes > 0, ConfigError, "gradient bucket size must be > 0");
  std::size_t filled = 0;
  for (std::size_t k = parameters_.size(); k-- > 0;) {
    const auto& p = parameters_[k];
    SEGBENCH_CHECK(p.scalar_type() == parameters_.front().scalar_type(), ConfigError,
                   "gradient averaging needs one dtype, found {} and {}",
                   c10::toString(p.scalar_type()),
                   c10::toString(parameters_.front().scalar_type()));
    const std::size_t bytes = static_cast<std::size_t>(p.numel()) * p.element_size();
    if (buckets_.empty() || filled + bytes > bucket_bytes) {
      buckets_.emplace_back();
      filled = 0;
    }
    buckets_.back().push_back(k);
    filled += bytes;
    stats_.bytes_per_step += static_cast<int64_t>(bytes);
  }
  stats_.buckets = static_cast<int64_t>(buckets_.size());
}

void GradientAverager::average() {
  if (ctx_.world_size() == 1) return;
  const auto start = std::chrono::steady_clock::now();
  at::NoGradGuard no_grad;
  const double world = static_cast<double>(ctx_.world_size());
  for (const auto& bucket : buckets_) {
    std::vector<at::Tensor> pieces;
    pieces.reserve(bucket.size());
    for (std::size_t k : bucket) {
      const auto& p = parameters_[k];
      pieces.push_back(p.grad().defined() ? p.grad().reshape(-1)
                                          : at::zeros({p.numel()}, p.options()));
    }
    at::Tensor flat = at::cat(pieces);
    ctx_.allreduce_sum(flat);
    flat.div_(world);
    int64_t offset = 0;
    for (std::size_t k : bucket) {
      auto& p = parameters_[k];
      const int64_t n = p.numel();
      at::Tensor averaged = flat.narrow(0, offset, n).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(averaged);
      } else {
        p.mutable_grad() = averaged.clone();
      }
      offset += n;
    }
  }
  ++stats_.steps;
  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace segbench
