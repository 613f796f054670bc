// A collective that has been started and not yet waited for (asynchronous allreduce, so
// gradient communication can overlap the rest of backward). No torch here.
#pragma once

#include <functional>
#include <utility>

namespace segbench {

class PendingCollective {
 public:
  PendingCollective() = default;  ///< already complete
  explicit PendingCollective(std::function<void()> wait) : wait_(std::move(wait)) {}

  /// Blocks until the collective has finished (its result is in the tensor); throws
  /// DistributedError naming the rank on failure. Later calls return at once.
  void wait() {
    if (wait_) std::exchange(wait_, nullptr)();
  }

 private:
  std::function<void()> wait_;
};

}  // namespace segbench
