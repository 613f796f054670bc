// A DistributedContext over MPI_COMM_WORLD (CPU tensors). <mpi.h> stays in the .cpp.
#pragma once

#include "segbench/dist/pending_collective.hpp"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace segbench {

class MpiContext {
 public:
  /// Initialises MPI (MPI_THREAD_FUNNELED) unless it already is, and makes errors on
  /// MPI_COMM_WORLD return instead of abort. The context that initialised MPI finalises it.
  MpiContext();
  MpiContext(const MpiContext&) = delete;
  MpiContext& operator=(const MpiContext&) = delete;
  MpiContext(MpiContext&& other) noexcept;
  MpiContext& operator=(MpiContext&& other) noexcept;
  ~MpiContext();

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  /// Rank among the processes that share this node (MPI_COMM_TYPE_SHARED).
  int local_rank() const { return local_rank_; }
  std::string backend_name() const { return "mpi"; }

  /// In place, on CPU tensors of float, double, int32 or int64.
  void allreduce_sum(at::Tensor& tensor);
  double allreduce_sum(double value);
  /// Starts the allreduce of a contiguous tensor; wait() on the result before reading it.
  PendingCollective allreduce_sum_async(at::Tensor& tensor);
  /// Any dtype (copied as bytes), CPU tensors.
  void broadcast(at::Tensor& tensor, int root);
  void barrier();

  /// Every rank allreduces a ones tensor and checks the sum equals the world size.
  void preflight();
  /// Throws DistributedError on every rank, listing the ranks whose hash differs from rank 0's.
  void check_same_config(std::uint64_t config_hash);

 private:
  int rank_ = 0;
  int world_ = 1;
  int local_rank_ = 0;
  bool owns_mpi_ = false;
};

}  // namespace segbench
