#include "rendezvous.hpp"

#include <c10/util/Exception.h>
#include <fmt/ranges.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <cctype>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace segbench {
namespace detail {

std::string error_reason(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
    return torch_error->what_without_backtrace();
  }
  return e.what();
}

constexpr auto kCheckInWindow = std::chrono::seconds(3);

namespace {

struct CheckIn {
  std::vector<int> missing;  // job ranks that did not check in
  bool store_lost = false;   // the store could not be reached (or failed on its host)
};

// Every surviving rank checks in under a fresh key of the rendezvous store and waits up to
// kCheckInWindow for the others.
CheckIn check_in(c10d::Store& store, int rank, int world, int first_rank, int failure) {
  const auto key = [failure](int r) { return fmt::format("segbench_alive/{}/{}", failure, r); };
  CheckIn result;
  try {
    store.set(key(rank), std::vector<std::uint8_t>{1});
    const auto deadline = std::chrono::steady_clock::now() + kCheckInWindow;
    do {
      result.missing.clear();
      for (int r = 0; r < world; ++r) {
        if (r != rank && !store.check({key(r)})) result.missing.push_back(first_rank + r);
      }
      if (result.missing.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
  } catch (const std::exception&) {
    result.store_lost = true;
  }
  return result;
}

// check_in() bounded by the window plus a second: a hung store host (rank 0) would otherwise
// block the store's calls for its own timeout (--dist_timeout) once more. The check-in runs on
// a detached thread that holds a reference to the store, so a call left hanging is harmless.
CheckIn bounded_check_in(c10d::Store& store, int rank, int world, int first_rank, int failure) {
  auto keep = c10::intrusive_ptr<c10d::Store>::unsafe_reclaim_from_nonowning(&store);
  auto task =
      std::make_shared<std::packaged_task<CheckIn()>>([keep, rank, world, first_rank, failure] {
        return check_in(*keep, rank, world, first_rank, failure);
      });
  std::future<CheckIn> done = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (done.wait_for(kCheckInWindow + std::chrono::seconds(1)) != std::future_status::ready) {
    return {.missing = {}, .store_lost = true};
  }
  return done.get();
}

bool timed_out(std::string_view reason) {
  std::string lower(reason);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("timed out") != std::string::npos || lower.find("timeout") != std::string::npos;
}

}  // namespace

std::string collective_failure(std::string_view who, std::string_view operation, c10d::Store& store,
                               int rank, int world, int first_rank, int failure,
                               std::chrono::milliseconds timeout, const std::exception& error) {
  const std::string reason = error_reason(error);
  const CheckIn check = bounded_check_in(store, rank, world, first_rank, failure);
  const bool hung = timed_out(reason);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  const std::string no_answer = fmt::format("no answer within the --dist_timeout of {} s", seconds);
  if (check.store_lost && rank + first_rank == 0) {
    return fmt::format("{}: {} failed: the rendezvous store on this rank failed: {}", who,
                       operation, reason);
  }
  if (check.store_lost) {
    // The store lives on rank 0: it is the lost rank.
    return hung ? fmt::format(
                      "{}: {} failed: lost rank 0 (hung: {}; the rendezvous store it "
                      "hosts does not answer either)",
                      who, operation, no_answer)
                : fmt::format(
                      "{}: {} failed: lost rank 0 (the rendezvous store it hosts is "
                      "unreachable): {}",
                      who, operation, reason);
  }
  const std::string ranks =
      fmt::format("rank{} {}", check.missing.size() > 1 ? "s" : "", fmt::join(check.missing, ", "));
  if (hung) {
    // The transport's own wording of the timeout is left out: one account of the hang.
    return check.missing.empty()
               ? fmt::format(
                     "{}: {} failed: {}, although every rank is still alive (a rank "
                     "slower than the timeout?)",
                     who, operation, no_answer)
               : fmt::format("{}: {} failed: lost {} (hung: {})", who, operation, ranks, no_answer);
  }
  if (check.missing.empty()) {
    return fmt::format("{}: {} failed: every rank is still alive (transient network error?): {}",
                       who, operation, reason);
  }
  return fmt::format("{}: {} failed: lost {} (no sign of life within {} s): {}", who, operation,
                     ranks, kCheckInWindow.count(), reason);
}

}  // namespace detail

c10::intrusive_ptr<c10d::Store> connect_rendezvous_store(std::string_view backend, int rank,
                                                         int world, const std::string& master_addr,
                                                         int master_port,
                                                         std::chrono::seconds timeout) {
  SEGBENCH_CHECK(world >= 1, ConfigError, "{}: world size must be >= 1, found {}", backend, world);
  SEGBENCH_CHECK(rank >= 0 && rank < world, ConfigError, "{}: rank must be in [0, {}), found {}",
                 backend, world, rank);
  SEGBENCH_CHECK(master_port > 0 && master_port < 65536, ConfigError,
                 "rank {}/{}: master port must be in [1, 65535], found {}", rank, world,
                 master_port);
  SEGBENCH_CHECK(!master_addr.empty(), ConfigError, "rank {}/{}: master address is empty", rank,
                 world);
  SEGBENCH_CHECK(timeout.count() > 0, ConfigError,
                 "rank {}/{}: timeout must be positive, found {} s", rank, world, timeout.count());
  const std::string endpoint = fmt::format("{}:{}", master_addr, master_port);
  const std::string step =
      rank == 0 ? fmt::format("starting the rendezvous store at {}", endpoint)
                : fmt::format("connecting to the rendezvous store of rank 0 at {} for {} s",
                              endpoint, timeout.count());
  const std::string hint = rank == 0 ? "is the port in use?" : "is rank 0 running at that address?";
  c10::intrusive_ptr<c10d::Store> store;
  detail::guarded(fmt::format("rank {}/{}", rank, world), step, hint, [&] {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(master_port);
    options.isServer = rank == 0;
    options.numWorkers = static_cast<std::size_t>(world);
    options.waitWorkers = false;  // the group's own rendezvous waits, within `timeout`
    options.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(master_addr, options);
  });
  return store;
}

}  // namespace segbench
