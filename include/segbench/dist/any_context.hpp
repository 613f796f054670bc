// A DistributedContext chosen at run time (none, gloo, mpi, ...) behind one type, so drivers
// and the trainer are written once. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/pending_collective.hpp"
#include "segbench/dist/rank_group.hpp"
#include "segbench/dist/single_process.hpp"
#include "segbench/error.hpp"

namespace segbench {

class AnyContext {
 public:
  template <DistributedContext C>
  explicit AnyContext(C context) : self_(std::make_unique<Holder<C>>(std::move(context))) {}

  /// A non-owning AnyContext over `context`, which must outlive it.
  template <DistributedContext C>
  static AnyContext borrow(C& context) {
    return AnyContext(std::make_unique<Holder<Borrowed<C>>>(Borrowed<C>{&context}));
  }

  int rank() const { return self_->rank(); }
  int world_size() const { return self_->world_size(); }
  int local_rank() const { return self_->local_rank(); }
  std::string backend_name() const { return self_->backend_name(); }
  void allreduce_sum(at::Tensor& tensor) { self_->allreduce_sum(tensor); }
  double allreduce_sum(double value) { return self_->allreduce_sum(value); }
  /// Starts a sum-allreduce of a contiguous tensor and returns at once; the tensor must stay
  /// alive and untouched until wait(). Contexts without asynchronous collectives finish it
  /// before returning.
  PendingCollective allreduce_sum_async(at::Tensor& tensor) {
    return self_->allreduce_sum_async(tensor);
  }
  void broadcast(at::Tensor& tensor, int root) { self_->broadcast(tensor, root); }
  void barrier() { self_->barrier(); }
  /// Start-up checks of multi-rank contexts (no-ops for a world of one).
  void preflight() { self_->preflight(); }
  void check_same_config(std::uint64_t hash) { self_->check_same_config(hash); }

  /// The context of the group of `group_size` consecutive ranks that holds this rank (ranks
  /// [g*group_size, (g+1)*group_size)), e.g. for BatchNorm synchronised over a group. A
  /// collective call: every rank calls it with the same size, which must divide world_size().
  /// A group of one is a SingleProcessContext.
  AnyContext subgroup(int group_size) {
    check_group_size(fmt::format("rank {}/{}", rank(), world_size()), world_size(), group_size);
    if (group_size == 1) return AnyContext(SingleProcessContext{});
    return AnyContext(self_->subgroup(group_size));
  }

 private:
  /// Forwards to a context owned elsewhere (see borrow()).
  template <class C>
  struct Borrowed {
    C* context;
    int rank() const { return context->rank(); }
    int world_size() const { return context->world_size(); }
    int local_rank() const { return context->local_rank(); }
    std::string backend_name() const { return context->backend_name(); }
    void allreduce_sum(at::Tensor& t) { context->allreduce_sum(t); }
    double allreduce_sum(double v) { return context->allreduce_sum(v); }
    PendingCollective allreduce_sum_async(at::Tensor& t) requires requires(C& c, at::Tensor& x) {
      c.allreduce_sum_async(x);
    }
    { return context->allreduce_sum_async(t); }
    void broadcast(at::Tensor& t, int root) { context->broadcast(t, root); }
    void barrier() { context->barrier(); }
    void preflight() requires requires(C& c) { c.preflight(); }
    { context->preflight(); }
    void check_same_config(std::uint64_t hash) requires requires(C& c, std::uint64_t h) {
      c.check_same_config(h);
    }
    { context->check_same_config(hash); }
    auto subgroup(int group_size) requires requires(C& c, int n) { c.subgroup(n); }
    { return context->subgroup(group_size); }
  };
  struct Interface {
    virtual ~Interface() = default;
    virtual int rank() const = 0;
    virtual int world_size() const = 0;
    virtual int local_rank() const = 0;
    virtual std::string backend_name() const = 0;
    virtual void allreduce_sum(at::Tensor&) = 0;
    virtual double allreduce_sum(double) = 0;
    virtual PendingCollective allreduce_sum_async(at::Tensor&) = 0;
    virtual void broadcast(at::Tensor&, int) = 0;
    virtual void barrier() = 0;
    virtual void preflight() = 0;
    virtual void check_same_config(std::uint64_t) = 0;
    virtual std::unique_ptr<Interface> subgroup(int group_size) = 0;
  };
  template <class C>
  struct Holder final : Interface {
    explicit Holder(C c) : context(std::move(c)) {}
    int rank() const override { return context.rank(); }
    int world_size() const override { return context.world_size(); }
    int local_rank() const override { return context.local_rank(); }
    std::string backend_name() const override { return context.backend_name(); }
    void allreduce_sum(at::Tensor& t) override { context.allreduce_sum(t); }
    double allreduce_sum(double v) override { return context.allreduce_sum(v); }
    PendingCollective allreduce_sum_async(at::Tensor& t) override {
      if constexpr (requires { context.allreduce_sum_async(t); }) {
        return context.allreduce_sum_async(t);
      } else {
        context.allreduce_sum(t);
        return {};
      }
    }
    void broadcast(at::Tensor& t, int root) override { context.broadcast(t, root); }
    void barrier() override { context.barrier(); }
    void preflight() override {
      if constexpr (requires { context.preflight(); }) context.preflight();
    }
    void check_same_config(std::uint64_t hash) override {
      if constexpr (requires { context.check_same_config(hash); }) context.check_same_config(hash);
    }
    std::unique_ptr<Interface> subgroup(int group_size) override {
      if constexpr (requires { context.subgroup(group_size); }) {
        using Group = decltype(context.subgroup(group_size));
        return std::make_unique<Holder<Group>>(context.subgroup(group_size));
      } else {
        throw ConfigError(fmt::format("rank {}/{}: the {} context cannot form groups of {} ranks",
                                      context.rank(), context.world_size(), context.backend_name(),
                                      group_size));
      }
    }
    C context;
  };
  explicit AnyContext(std::unique_ptr<Interface> self) : self_(std::move(self)) {}
  std::unique_ptr<Interface> self_;
};

static_assert(DistributedContext<AnyContext>);

}  // namespace segbench
