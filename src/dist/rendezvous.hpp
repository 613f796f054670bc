// What the c10d contexts (Gloo, NCCL) share: the TCP rendezvous store served by rank 0, the
// wrapping of c10d failures into DistributedErrors that name the rank, and the lost-rank
// check-in after a failed collective. Private to src/dist (c10d headers).
#pragma once

#include <c10/util/intrusive_ptr.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

#include "segbench/error.hpp"

namespace segbench {

/// Checks rank/world/address/port/timeout (ConfigError naming `backend` and the rank), then
/// starts (rank 0) or connects to (others) the TCP store at master_addr:master_port.
/// DistributedError with a hint when that fails.
c10::intrusive_ptr<c10d::Store> connect_rendezvous_store(std::string_view backend, int rank,
                                                         int world, const std::string& master_addr,
                                                         int master_port,
                                                         std::chrono::seconds timeout);

namespace detail {

/// The message of a c10d or standard exception, without a C++ backtrace.
std::string error_reason(const std::exception& e);

/// Runs one c10d call; any failure becomes a DistributedError naming rank, step and a hint.
template <class Fn>
void guarded(std::string_view who, std::string_view operation, std::string_view hint, Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError(
        fmt::format("{}: {} failed ({}): {}", who, operation, hint, error_reason(e)));
  }
}

/// Why a collective failed, in one message that names the rank(s) at fault: every surviving
/// rank checks in under a fresh key of the store (`failure` numbers the context's failed
/// collectives); ranks that do not check in within 3 s are the lost ones (exited, crashed or
/// hung), reported as job ranks (first_rank + group rank). If the store itself is gone, rank 0
/// (its host) is the lost one. A collective that timed out (`error` says so) is reported as
/// "lost rank R (hung: no answer within the --dist_timeout of T s)", whatever the transport's
/// own wording; other failures keep the transport's reason.
std::string collective_failure(std::string_view who, std::string_view operation, c10d::Store& store,
                               int rank, int world, int first_rank, int failure,
                               std::chrono::milliseconds timeout, const std::exception& error);

/// Runs one collective of a c10d context; a failure becomes a DistributedError that names the
/// lost rank(s). `failures` counts the context's failed collectives (fresh check-in keys);
/// `timeout` is the context's collective timeout (--dist_timeout).
template <class Fn>
void run_collective(std::string_view who, std::string_view operation, c10d::Store& store, int rank,
                    int world, int first_rank, int& failures, std::chrono::milliseconds timeout,
                    Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError(
        collective_failure(who, operation, store, rank, world, first_rank, failures++, timeout, e));
  }
}

}  // namespace detail
}  // namespace segbench
