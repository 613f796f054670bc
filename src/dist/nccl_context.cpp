#include "segbench/dist/nccl_context.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include <utility>
#include <vector>

#include "rendezvous.hpp"
#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/preflight.hpp"
#include "segbench/dist/rank_group.hpp"
#include "segbench/error.hpp"

#ifndef USE_C10D_NCCL
#error "NcclContext needs a CUDA LibTorch built with NCCL (USE_C10D_NCCL)"
#endif

namespace segbench {

static_assert(DistributedContext<NcclContext>);

struct NcclContext::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupNCCL::Options> options;
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> group;
  at::Device device{at::kCUDA, 0};
  int first_rank = 0;
  int job_world = 0;
  int failures = 0;
  int subgroups = 0;
};

namespace {

// NCCL reduces dense CUDA memory: a CPU or non-contiguous tensor goes through a copy on `device`.
template <class Fn>
void on_gpu(at::Tensor& tensor, const at::Device& device, Fn&& fn) {
  const bool staged = !tensor.is_cuda() || !tensor.is_contiguous();
  at::Tensor dense = staged ? tensor.to(device).contiguous() : tensor;
  std::vector<at::Tensor> tensors{dense};
  fn(tensors);
  if (staged) tensor.copy_(dense);
}

}  // namespace

NcclContext::NcclContext(int rank, int world, int local_rank, std::unique_ptr<Impl> impl)
    : rank_(rank), world_(world), local_rank_(local_rank), impl_(std::move(impl)) {}
NcclContext::NcclContext(NcclContext&&) noexcept = default;
NcclContext& NcclContext::operator=(NcclContext&&) noexcept = default;
NcclContext::~NcclContext() = default;

NcclContext NcclContext::create(int rank, int world, const std::string& master_addr,
                                int master_port, std::chrono::seconds timeout, int local_rank,
                                int cuda_device) {
  const auto store =
      connect_rendezvous_store("nccl", rank, world, master_addr, master_port, timeout);
  auto impl = std::make_unique<Impl>();
  impl->device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(cuda_device));
  impl->store = store;
  impl->job_world = world;
  detail::guarded(fmt::format("rank {}/{}", rank, world),
                  fmt::format("forming the NCCL group on {}", impl->device.str()),
                  "is this rank's GPU visible and NCCL installed?", [&] {
                    impl->options = c10d::ProcessGroupNCCL::Options::create();
                    impl->options->timeout = timeout;
                    impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(
                        c10::make_intrusive<c10d::PrefixStore>("segbench_nccl", store), rank, world,
                        impl->options);
                  });
  return NcclContext(rank, world, local_rank, std::move(impl));
}

std::string NcclContext::who() const {
  return rank_label(rank_, world_, impl_->first_rank, impl_->job_world);
}

NcclContext NcclContext::subgroup(int group_size) {
  check_group_size(who(), world_, group_size);
  const int group_index = rank_ / group_size;
  auto impl = std::make_unique<Impl>();
  impl->store = c10::make_intrusive<c10d::PrefixStore>(
      fmt::format("segbench_group/{}/{}/{}", impl_->subgroups++, group_size, group_index),
      impl_->store);
  impl->options = impl_->options;
  impl->device = impl_->device;
  impl->first_rank = impl_->first_rank + group_index * group_size;
  impl->job_world = impl_->job_world;
  detail::guarded(who(), "forming an NCCL subgroup", "did every rank of the group start it?", [&] {
    impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, rank_ % group_size,
                                                              group_size, impl->options);
  });
  return NcclContext(rank_ % group_size, group_size, local_rank_, std::move(impl));
}

template <class Fn>
void NcclContext::collective(std::string_view operation, Fn&& fn) {
  detail::run_collective(who(), operation, *impl_->store, rank_, world_, impl_->first_rank,
                         impl_->failures, impl_->options->timeout, std::forward<Fn>(fn));
}

void NcclContext::allreduce_sum(at::Tensor& tensor) {
  SEGBENCH_CHECK(tensor.defined(), DistributedError, "{}: allreduce of an undefined tensor", who());
  collective("allreduce", [&] {
    on_gpu(tensor, impl_->device, [&](std::vector<at::Tensor>& tensors) {
      impl_->group->allreduce(tensors, c10d::AllreduceOptions{})->wait();
    });
  });
}

double NcclContext::allreduce_sum(double value) {
  at::Tensor scalar = at::full({1}, value, at::TensorOptions(impl_->device).dtype(at::kDouble));
  allreduce_sum(scalar);
  return scalar.item<double>();
}

PendingCollective NcclContext::allreduce_sum_async(at::Tensor& tensor) {
  SEGBENCH_CHECK(tensor.defined() && tensor.is_cuda() && tensor.is_contiguous(), DistributedError,
                 "{}: asynchronous allreduce needs a contiguous CUDA tensor", who());
  std::vector<at::Tensor> tensors{tensor};
  c10::intrusive_ptr<c10d::Work> work;
  collective("allreduce",
             [&] { work = impl_->group->allreduce(tensors, c10d::AllreduceOptions{}); });
  return PendingCollective([this, work] { collective("allreduce", [&] { work->wait(); }); });
}

void NcclContext::broadcast(at::Tensor& tensor, int root) {
  SEGBENCH_CHECK(root >= 0 && root < world_, DistributedError,
                 "{}: broadcast root must be in [0, {}), found {}", who(), world_, root);
  collective(fmt::format("broadcast from rank {}", root), [&] {
    on_gpu(tensor, impl_->device, [&](std::vector<at::Tensor>& tensors) {
      c10d::BroadcastOptions options;
      options.rootRank = root;
      impl_->group->broadcast(tensors, options)->wait();
    });
  });
}

void NcclContext::barrier() {
  at::Tensor token = at::zeros({1}, at::TensorOptions(impl_->device));
  allreduce_sum(token);  // a collective on this rank's GPU; NCCL's barrier() guesses the device
}

void NcclContext::preflight() {
  run_preflight(*this);
}

void NcclContext::check_same_config(std::uint64_t config_hash) {
  check_same_config_hash(*this, config_hash, impl_->first_rank, who());
}

}  // namespace segbench
