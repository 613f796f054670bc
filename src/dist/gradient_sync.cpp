#include "segbench/dist/gradient_sync.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

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

GradientSyncMode gradient_sync_mode(const std::string& name) {
  if (name == "after_backward") return GradientSyncMode::after_backward;
  if (name == "overlap") return GradientSyncMode::overlap;
  throw ConfigError(fmt::format("gradient sync must be after_backward or overlap, got '{}'", name));
}

struct GradientAverager::Overlap {
  std::vector<std::size_t> bucket_of, offset_of;  // per parameter
  std::vector<at::Tensor> flat;                   // one buffer per bucket
  std::vector<std::size_t> ready_in_bucket;
  std::vector<char> ready;  // per parameter, this backward
  std::vector<PendingCollective> pending;
  std::size_t next_launch = 0;
  bool armed = false;
  std::vector<unsigned> hooks;  // per parameter, removed with the averager
};

GradientAverager::GradientAverager(std::vector<at::Tensor> parameters, AnyContext& ctx,
                                   std::size_t bucket_bytes, GradientSyncMode mode)
    : parameters_(std::move(parameters)), ctx_(ctx), mode_(mode) {
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
  if (mode_ != GradientSyncMode::overlap || ctx_.world_size() == 1) return;
  overlap_ = std::make_unique<Overlap>();
  auto& o = *overlap_;
  o.bucket_of.resize(parameters_.size());
  o.offset_of.resize(parameters_.size());
  o.ready.assign(parameters_.size(), 0);
  o.ready_in_bucket.assign(buckets_.size(), 0);
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    std::size_t offset = 0;
    for (std::size_t k : buckets_[b]) {
      o.bucket_of[k] = b;
      o.offset_of[k] = offset;
      offset += static_cast<std::size_t>(parameters_[k].numel());
    }
    o.flat.push_back(
        at::empty({static_cast<int64_t>(offset)}, parameters_[buckets_[b].front()].options()));
  }
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    o.hooks.push_back(
        parameters_[k].register_hook([this, k](const at::Tensor& grad) { on_gradient(k, grad); }));
  }
}

GradientAverager::~GradientAverager() {
  if (!overlap_) return;
  for (std::size_t k = 0; k < overlap_->hooks.size(); ++k) {
    parameters_[k].remove_hook(overlap_->hooks[k]);
  }
}

void GradientAverager::prepare_backward(bool will_step) {
  if (!overlap_) return;
  auto& o = *overlap_;
  o.armed = will_step;
  o.next_launch = 0;
  std::fill(o.ready.begin(), o.ready.end(), 0);
  std::fill(o.ready_in_bucket.begin(), o.ready_in_bucket.end(), 0);
  o.pending.assign(buckets_.size(), PendingCollective{});
}

void GradientAverager::on_gradient(std::size_t k, const at::Tensor& grad) {
  auto& o = *overlap_;
  if (!o.armed) return;
  at::NoGradGuard no_grad;
  const auto& p = parameters_[k];
  // The hook runs before autograd adds `grad` into p.grad, which holds the earlier
  // micro-steps of gradient accumulation (if any): the bucket gets their sum.
  at::Tensor slot =
      o.flat[o.bucket_of[k]].narrow(0, static_cast<int64_t>(o.offset_of[k]), p.numel());
  if (p.grad().defined()) {
    at::add_out(slot, p.grad().reshape(-1), grad.reshape(-1));
  } else {
    slot.copy_(grad.reshape(-1));
  }
  if (!o.ready[k]) {
    o.ready[k] = 1;
    ++o.ready_in_bucket[o.bucket_of[k]];
  }
  const std::size_t launched_before = o.next_launch;
  launch_ready_buckets();
  stats_.buckets_launched_in_backward += static_cast<int64_t>(o.next_launch - launched_before);
}

void GradientAverager::launch_ready_buckets() {
  auto& o = *overlap_;
  while (o.next_launch < buckets_.size() &&
         o.ready_in_bucket[o.next_launch] == buckets_[o.next_launch].size()) {
    o.pending[o.next_launch] = ctx_.allreduce_sum_async(o.flat[o.next_launch]);
    ++o.next_launch;
  }
}

void GradientAverager::average() {
  if (ctx_.world_size() == 1) return;
  const auto start = std::chrono::steady_clock::now();
  at::NoGradGuard no_grad;
  const double world = static_cast<double>(ctx_.world_size());
  if (overlap_ && overlap_->armed) {
    auto& o = *overlap_;
    // Parameters that got no gradient in this backward (unused heads) contribute what they
    // hold (earlier micro-steps) or zeros; then the remaining buckets go out in order.
    for (std::size_t k = 0; k < parameters_.size(); ++k) {
      if (o.ready[k]) continue;
      const auto& p = parameters_[k];
      at::Tensor slot =
          o.flat[o.bucket_of[k]].narrow(0, static_cast<int64_t>(o.offset_of[k]), p.numel());
      if (p.grad().defined()) {
        slot.copy_(p.grad().reshape(-1));
      } else {
        slot.zero_();
      }
      o.ready[k] = 1;
      ++o.ready_in_bucket[o.bucket_of[k]];
    }
    launch_ready_buckets();
    for (auto& pending : o.pending) pending.wait();
    for (std::size_t k = 0; k < parameters_.size(); ++k) {
      auto& p = parameters_[k];
      at::Tensor averaged = o.flat[o.bucket_of[k]]
                                .narrow(0, static_cast<int64_t>(o.offset_of[k]), p.numel())
                                .view(p.sizes())
                                .div(world);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(averaged);
      } else {
        p.mutable_grad() = averaged;
      }
    }
    o.armed = false;
    ++stats_.steps;
    stats_.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return;
  }
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
