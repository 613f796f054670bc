#include "segbench/dist/gloo_context.hpp"

#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/preflight.hpp"
#include "segbench/error.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <string_view>
#include <utility>
#include <vector>

#ifndef USE_C10D_GLOO
#error "GlooContext needs LibTorch built with Gloo (USE_C10D_GLOO) and the gloo headers"
#endif

namespace segbench {

static_assert(DistributedContext<GlooContext>);

struct GlooContext::Impl {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {

std::string reason(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
    return torch_error->what_without_backtrace();
  }
  return e.what();
}

// Runs one c10d call; any failure becomes a DistributedError that names rank, world and step.
template <class Fn>
void guarded(int rank, int world, std::string_view operation, std::string_view hint, Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError(
        fmt::format("rank {}/{}: {} failed ({}): {}", rank, world, operation, hint, reason(e)));
  }
}

constexpr std::string_view kPeerHint = "a peer rank exited or is unreachable?";

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
  SEGBENCH_CHECK(world >= 1, ConfigError, "gloo: world size must be >= 1, found {}", world);
  SEGBENCH_CHECK(rank >= 0 && rank < world, ConfigError, "gloo: rank must be in [0, {}), found {}",
                 world, rank);
  SEGBENCH_CHECK(master_port > 0 && master_port < 65536, ConfigError,
                 "rank {}/{}: master port must be in [1, 65535], found {}", rank, world,
                 master_port);
  SEGBENCH_CHECK(!master_addr.empty(), ConfigError, "rank {}/{}: master address is empty", rank,
                 world);
  SEGBENCH_CHECK(timeout.count() > 0, ConfigError,
                 "rank {}/{}: timeout must be positive, found {} s", rank, world, timeout.count());

  const std::string endpoint = fmt::format("{}:{}", master_addr, master_port);
  c10::intrusive_ptr<c10d::Store> store;
  const std::string store_step =
      rank == 0 ? fmt::format("starting the rendezvous store at {}", endpoint)
                : fmt::format("connecting to the rendezvous store of rank 0 at {} for {} s",
                              endpoint, timeout.count());
  const std::string store_hint =
      rank == 0 ? "is the port in use?" : "is rank 0 running at that address?";
  guarded(rank, world, store_step, store_hint, [&] {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(master_port);
    options.isServer = rank == 0;
    options.numWorkers = static_cast<std::size_t>(world);
    options.waitWorkers = false;  // the group's own rendezvous below waits, within `timeout`
    options.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(master_addr, options);
  });

  auto impl = std::make_unique<Impl>();
  const std::string group_hint =
      fmt::format("did all {} ranks start with this master address and port?", world);
  guarded(rank, world, fmt::format("forming the Gloo group through {}", endpoint), group_hint, [&] {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("segbench_gloo", store);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(master_addr));
    options->threads = 1;
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, world, options);
  });
  return GlooContext(rank, world, local_rank < 0 ? rank : local_rank, std::move(impl));
}

void GlooContext::allreduce_sum(at::Tensor& tensor) {
  SEGBENCH_CHECK(tensor.defined() && tensor.device().is_cpu(), DistributedError,
                 "rank {}/{}: allreduce needs a defined CPU tensor, found {}", rank_, world_,
                 tensor.defined() ? tensor.device().str() : std::string("an undefined tensor"));
  guarded(rank_, world_, "allreduce", kPeerHint, [&] {
    on_contiguous(tensor, [&](std::vector<at::Tensor>& tensors) {
      impl_->group->allreduce(tensors, c10d::AllreduceOptions{})->wait();
    });
  });
}

double GlooContext::allreduce_sum(double value) {
  at::Tensor scalar = at::empty({1}, at::kDouble);
  scalar.data_ptr<double>()[0] = value;
  allreduce_sum(scalar);
  return scalar.data_ptr<double>()[0];
}

void GlooContext::broadcast(at::Tensor& tensor, int root) {
  SEGBENCH_CHECK(root >= 0 && root < world_, DistributedError,
                 "rank {}/{}: broadcast root must be in [0, {}), found {}", rank_, world_, world_,
                 root);
  SEGBENCH_CHECK(tensor.defined() && tensor.device().is_cpu(), DistributedError,
                 "rank {}/{}: broadcast needs a defined CPU tensor, found {}", rank_, world_,
                 tensor.defined() ? tensor.device().str() : std::string("an undefined tensor"));
  guarded(rank_, world_, fmt::format("broadcast from rank {}", root), kPeerHint, [&] {
    on_contiguous(tensor, [&](std::vector<at::Tensor>& tensors) {
      c10d::BroadcastOptions options;
      options.rootRank = root;
      impl_->group->broadcast(tensors, options)->wait();
    });
  });
}

void GlooContext::barrier() {
  guarded(rank_, world_, "barrier", kPeerHint,
          [&] { impl_->group->barrier(c10d::BarrierOptions{})->wait(); });
}

void GlooContext::preflight() {
  run_preflight(*this);
}

void GlooContext::check_same_config(std::uint64_t config_hash) {
  // Each rank writes its hash into its own slot; the sum then holds every rank's hash.
  at::Tensor slots = at::zeros({world_}, at::kLong);
  std::int64_t as_signed = 0;
  std::memcpy(&as_signed, &config_hash, sizeof as_signed);
  slots.data_ptr<std::int64_t>()[rank_] = as_signed;
  allreduce_sum(slots);

  const std::int64_t* found = slots.data_ptr<std::int64_t>();
  std::string mismatches;
  for (int r = 1; r < world_; ++r) {
    if (found[r] != found[0]) {
      mismatches += fmt::format("{}rank {} has {:#018x}", mismatches.empty() ? "" : ", ", r,
                                static_cast<std::uint64_t>(found[r]));
    }
  }
  SEGBENCH_CHECK(mismatches.empty(), DistributedError,
                 "rank {}/{}: ranks disagree on the configuration: expected hash {:#018x} (rank "
                 "0), found {}",
                 rank_, world_, static_cast<std::uint64_t>(found[0]), mismatches);
}

}  // namespace segbench
