#include "rendezvous.hpp"

#include <c10/util/Exception.h>
#include <fmt/ranges.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

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
