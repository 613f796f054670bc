// A DistributedContext over c10d's NCCL process group (CUDA tensors), built only by the CUDA
// flavour (-Dcuda=enabled). It shares the Gloo context's TCP rendezvous store, failure wrapping
// and lost-rank report (src/dist/rendezvous.hpp). Tensor tier; c10d headers stay in the .cpp.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "segbench/dist/pending_collective.hpp"

namespace segbench {

class NcclContext {
 public:
  /// Rendezvous through rank 0's TCP store at master_addr:master_port, then an NCCL group on
  /// GPU `cuda_device` of this process. `timeout` bounds the rendezvous and, through NCCL's
  /// watchdog, every later collective.
  static NcclContext create(int rank, int world, const std::string& master_addr, int master_port,
                            std::chrono::seconds timeout, int local_rank, int cuda_device);

  NcclContext(NcclContext&&) noexcept;
  NcclContext& operator=(NcclContext&&) noexcept;
  ~NcclContext();

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  int local_rank() const { return local_rank_; }
  std::string backend_name() const { return "nccl"; }

  /// In place. CUDA tensors are reduced where they are; CPU tensors (metric totals, scalars)
  /// are staged through this context's GPU.
  void allreduce_sum(at::Tensor& tensor);
  double allreduce_sum(double value);
  /// Enqueues the allreduce of a contiguous CUDA tensor on NCCL's stream; wait() makes the
  /// current stream wait for it.
  PendingCollective allreduce_sum_async(at::Tensor& tensor);
  void broadcast(at::Tensor& tensor, int root);
  void barrier();

  /// The group of `group_size` consecutive ranks holding this rank (synchronised BatchNorm).
  NcclContext subgroup(int group_size);
  void preflight();
  void check_same_config(std::uint64_t config_hash);

 private:
  struct Impl;
  template <class Fn>
  void collective(std::string_view operation, Fn&& fn);
  NcclContext(int rank, int world, int local_rank, std::unique_ptr<Impl> impl);
  std::string who() const;

  int rank_;
  int world_;
  int local_rank_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segbench
