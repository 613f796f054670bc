#include "segbench/dist/gloo_context.hpp"

#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/preflight.hpp"
#include "segbench/dist/rank_group.hpp"
#include "segbench/error.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <string_view>
#include <thread>
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

std::string reason(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
    return torch_error->what_without_backtrace();
  }
  return e.what();
}

// Runs one c10d call; any failure becomes a DistributedError that names rank, world and step.
template <class Fn>
void guarded(std::string_view who, std::string_view operation, std::string_view hint, Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError(fmt::format("{}: {} failed ({}): {}", who, operation, hint, reason(e)));
  }
}

constexpr auto kCheckInWindow = std::chrono::seconds(3);

// After a collective failed: every surviving rank checks in under a fresh key of the
// rendezvous store; ranks that do not check in within kCheckInWindow are reported as lost
// (exited, crashed or hung). If the store itself is gone, rank 0 (its host) is the lost one.
std::string lost_ranks(c10d::Store& store, int rank, int world, int first_rank, int failure) {
  const auto key = [failure](int r) { return fmt::format("segbench_alive/{}/{}", failure, r); };
  std::vector<int> missing;
  try {
    store.set(key(rank), std::vector<std::uint8_t>{1});
    const auto deadline = std::chrono::steady_clock::now() + kCheckInWindow;
    do {
      missing.clear();
      for (int r = 0; r < world; ++r) {
        if (r != rank && !store.check({key(r)})) missing.push_back(first_rank + r);
      }
      if (missing.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
  } catch (const std::exception&) {
    return rank + first_rank == 0 ? "the rendezvous store on this rank failed"
                                  : "lost rank 0 (the rendezvous store it hosts is unreachable)";
  }
  if (missing.empty()) return "every rank is still alive (transient network error?)";
  return fmt::format("lost rank{} {} (no sign of life within {} s)", missing.size() > 1 ? "s" : "",
                     fmt::join(missing, ", "), kCheckInWindow.count());
}

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
  const std::string who = fmt::format("rank {}/{}", rank, world);
  guarded(who, store_step, store_hint, [&] {
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
  guarded(who, fmt::format("forming the Gloo group through {}", endpoint), group_hint, [&] {
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
  guarded(who(),
          fmt::format("forming the Gloo group of ranks {}-{}", first, first + group_size - 1),
          "did every rank of the group start it?", [&] {
            impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, group_rank,
                                                                      group_size, impl->options);
          });
  return GlooContext(group_rank, group_size, local_rank_, std::move(impl));
}

template <class Fn>
void GlooContext::collective(std::string_view operation, Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string lost =
        lost_ranks(*impl_->store, rank_, world_, impl_->first_rank, impl_->failures++);
    throw DistributedError(fmt::format("{}: {} failed: {}: {}", who(), operation, lost, reason(e)));
  }
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
      mismatches += fmt::format("{}rank {} has {:#018x}", mismatches.empty() ? "" : ", ",
                                impl_->first_rank + r, static_cast<std::uint64_t>(found[r]));
    }
  }
  SEGBENCH_CHECK(mismatches.empty(), DistributedError,
                 "{}: ranks disagree on the configuration: expected hash {:#018x} (rank "
                 "0), found {}",
                 who(), static_cast<std::uint64_t>(found[0]), mismatches);
}

}  // namespace segbench
