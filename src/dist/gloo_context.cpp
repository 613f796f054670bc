#include "segbench/dist/gloo_context.hpp"

#include "rendezvous.hpp"
#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/preflight.hpp"
#include "segbench/dist/rank_group.hpp"
#include "segbench/error.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/ones.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#ifndef USE_C10D_GLOO
#error "GlooContext needs LibTorch built with Gloo (USE_C10D_GLOO) and the gloo headers"
#endif

namespace segbench {

static_assert(DistributedContext<GlooContext>);

struct GlooContext::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> options;  // reused by subgroups
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  int first_rank = 0;  // world rank of this group's rank 0 (0 for the world itself)
  int job_world = 0;   // world size of the job (differs from the group's size in subgroups)
  int failures = 0;    // collectives that failed so far (keys of the lost-rank check-in)
  int subgroups = 0;   // subgroups formed so far: a fresh store prefix for each one
};

namespace {

// Gloo works on dense CPU memory; a non-contiguous view is reduced through a copy.
template <class Fn>
void on_contiguous(at::Tensor& tensor, Fn&& fn) {
  at::Tensor dense = tensor.contiguous();
  std::vector<at::Tensor> tensors{dense};
  fn(tensors);
  if (!dense.is_same(tensor)) tensor.copy_(dense);
}

}  // namespace

GlooContext::GlooContext(int rank, int world, int local_rank, std::unique_ptr<Impl> impl)
    : rank_(rank), world_(world), local_rank_(local_rank), impl_(std::move(impl)) {}
GlooContext::GlooContext(GlooContext&&) noexcept = default;
GlooContext& GlooContext::operator=(GlooContext&&) noexcept = default;
GlooContext::~GlooContext() = default;

GlooContext GlooContext::create(int rank, int world, const std::string& master_addr,
                                int master_port, std::chrono::seconds timeout, int local_rank) {
  const std::string endpoint = fmt::format("{}:{}", master_addr, master_port);
  const std::string who = fmt::format("rank {}/{}", rank, world);
  const c10::intrusive_ptr<c10d::Store> store =
      connect_rendezvous_store("gloo", rank, world, master_addr, master_port, timeout);

  auto impl = std::make_unique<Impl>();
  const std::string group_hint =
      fmt::format("did all {} ranks start with this master address and port?", world);
  detail::guarded(who, fmt::format("forming the Gloo group through {}", endpoint), group_hint, [&] {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("segbench_gloo", store);
    impl->options = c10d::ProcessGroupGloo::Options::create(timeout);
    impl->options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(master_addr));
    impl->options->threads = 1;
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, world, impl->options);
  });
  impl->store = store;
  impl->job_world = world;
  return GlooContext(rank, world, local_rank < 0 ? rank : local_rank, std::move(impl));
}

std::string GlooContext::who() const {
  return rank_label(rank_, world_, impl_->first_rank, impl_->job_world);
}

GlooContext GlooContext::subgroup(int group_size) {
  check_group_size(who(), world_, group_size);
  const int group_index = rank_ / group_size;
  const int group_rank = rank_ % group_size;
  auto impl = std::make_unique<Impl>();
  impl->store = c10::make_intrusive<c10d::PrefixStore>(
      fmt::format("segbench_group/{}/{}/{}", impl_->subgroups++, group_size, group_index),
      impl_->store);
  impl->options = impl_->options;
  impl->first_rank = impl_->first_rank + group_index * group_size;
  impl->job_world = impl_->job_world;
  const int first = impl->first_rank;
  detail::guarded(
      who(), fmt::format("forming the Gloo group of ranks {}-{}", first, first + group_size - 1),
      "did every rank of the group start it?", [&] {
        impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, group_rank,
                                                                  group_size, impl->options);
      });
  return GlooContext(group_rank, group_size, local_rank_, std::move(impl));
}

template <class Fn>
void GlooContext::collective(std::string_view operation, Fn&& fn) {
  detail::run_collective(who(), operation, *impl_->store, rank_, world_, impl_->first_rank,
                         impl_->failures, impl_->options->timeout, std::forward<Fn>(fn));
}

void GlooContext::allreduce_sum(at::Tensor& tensor) {
  SEGBENCH_CHECK(tensor.defined() && tensor.device().is_cpu(), DistributedError,
                 "{}: allreduce needs a defined CPU tensor, found {}", who(),
                 tensor.defined() ? tensor.device().str() : std::string("an undefined tensor"));
  collective("allreduce", [&] {
    on_contiguous(tensor, [&](std::vector<at::Tensor>& tensors) {
      impl_->group->allreduce(tensors, c10d::AllreduceOptions{})->wait();
    });
  });
}

PendingCollective GlooContext::allreduce_sum_async(at::Tensor& tensor) {
  SEGBENCH_CHECK(tensor.defined() && tensor.device().is_cpu() && tensor.is_contiguous(),
                 DistributedError, "{}: asynchronous allreduce needs a contiguous CPU tensor",
                 who());
  std::vector<at::Tensor> tensors{tensor};
  c10::intrusive_ptr<std::remove_reference_t<decltype(*impl_->group->allreduce(tensors))>> work;
  collective("allreduce",
             [&] { work = impl_->group->allreduce(tensors, c10d::AllreduceOptions{}); });
  return PendingCollective([this, work] { collective("allreduce", [&] { work->wait(); }); });
}

double GlooContext::allreduce_sum(double value) {
  at::Tensor scalar = at::empty({1}, at::kDouble);
  scalar.data_ptr<double>()[0] = value;
  allreduce_sum(scalar);
  return scalar.data_ptr<double>()[0];
}

void GlooContext::broadcast(at::Tensor& tensor, int root) {
  SEGBENCH_CHECK(root >= 0 && root < world_, DistributedError,
                 "{}: broadcast root must be in [0, {}), found {}", who(), world_, root);
  SEGBENCH_CHECK(tensor.defined() && tensor.device().is_cpu(), DistributedError,
                 "{}: broadcast needs a defined CPU tensor, found {}", who(),
                 tensor.defined() ? tensor.device().str() : std::string("an undefined tensor"));
  collective(fmt::format("broadcast from rank {}", root), [&] {
    on_contiguous(tensor, [&](std::vector<at::Tensor>& tensors) {
      c10d::BroadcastOptions options;
      options.rootRank = root;
      impl_->group->broadcast(tensors, options)->wait();
    });
  });
}

void GlooContext::barrier() {
  collective("barrier", [&] { impl_->group->barrier(c10d::BarrierOptions{})->wait(); });
}

void GlooContext::preflight() {
  run_preflight(*this);
}

void GlooContext::check_same_config(std::uint64_t config_hash) {
  check_same_config_hash(*this, config_hash, impl_->first_rank, who());
}

}  // namespace segbench
