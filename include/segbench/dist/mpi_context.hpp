// A DistributedContext over MPI_COMM_WORLD or a communicator split from it. CPU tensors, and
// GPU tensors: in place with a CUDA-aware MPI, else through pinned host copies
// (dist/mpi_staging.hpp). <mpi.h> stays in the .cpp.
#pragma once

#include "segbench/dist/pending_collective.hpp"

#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

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
  /// Whether GPU tensors go to MPI in place: SEGBENCH_MPI_CUDA_AWARE=0|1, else what OpenMPI's
  /// MPIX_Query_cuda_support() reports (false for other MPIs).
  bool cuda_aware() const { return cuda_aware_; }
  int world_size() const { return world_; }
  /// Rank among the processes that share this node (MPI_COMM_TYPE_SHARED).
  int local_rank() const { return local_rank_; }
  std::string backend_name() const { return "mpi"; }

  /// MPI collectives have no time limit of their own: each one is started non-blocking and
  /// polled, and one that has not completed after `timeout` (--dist_timeout; zero: no limit)
  /// throws DistributedError on this rank. MPI cannot say which peer is hung or dead; the
  /// request is abandoned and MPI is not finalised (it would wait for it), so the process can
  /// exit and mpirun ends the job.
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  /// In place, on tensors of float, double, int32 or int64.
  void allreduce_sum(at::Tensor& tensor);
  double allreduce_sum(double value);
  /// Starts the allreduce of a contiguous tensor; wait() on the result before reading it.
  PendingCollective allreduce_sum_async(at::Tensor& tensor);
  /// Any dtype (copied as bytes).
  void broadcast(at::Tensor& tensor, int root);
  void barrier();

  /// The context of the group of `group_size` consecutive ranks that holds this rank
  /// (MPI_Comm_split). Every rank must call it with the same size; group_size must divide
  /// world_size().
  MpiContext subgroup(int group_size);

  /// Every rank allreduces a ones tensor and checks the sum equals the world size.
  void preflight();
  /// Throws DistributedError on every rank, listing the ranks whose hash differs from rank 0's.
  void check_same_config(std::uint64_t config_hash);

 private:
  struct Communicator;  // holds the MPI_Comm; frees it unless it is MPI_COMM_WORLD
  MpiContext(std::unique_ptr<Communicator> comm, int local_rank, int first_rank, int job_world,
             bool cuda_aware);
  /// "rank r/w", or for a subgroup "rank R (r/w of the group of ranks a-b)".
  std::string who() const;
  /// Waits for `request` within timeout_; `operation` names it in the errors.
  void wait(void* request, std::string_view operation) const;

  std::unique_ptr<Communicator> comm_;
  int rank_ = 0;
  int world_ = 1;
  int local_rank_ = 0;
  int first_rank_ = 0;    // world rank of this group's rank 0
  int world_of_job_ = 1;  // size of MPI_COMM_WORLD
  bool cuda_aware_ = false;
  bool owns_mpi_ = false;
  std::chrono::milliseconds timeout_{0};
};

}  // namespace segbench
