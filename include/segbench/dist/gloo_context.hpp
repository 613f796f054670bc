// A DistributedContext over c10d's Gloo process group (CPU tensors, TCP rendezvous).
// The c10d headers stay in the .cpp: this header is tensor tier only.
#pragma once

#include "segbench/dist/pending_collective.hpp"

#include <ATen/core/Tensor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace segbench {

class GlooContext {
 public:
  /// Rendezvous through a TCP store served by rank 0 at master_addr:master_port, then
  /// build a one-device, one-thread Gloo group. `timeout` bounds both the rendezvous and
  /// every later collective. local_rank < 0 means "same as rank" (all ranks on one host).
  /// Throws ConfigError on impossible arguments, DistributedError when the group cannot form.
  static GlooContext create(int rank, int world, const std::string& master_addr, int master_port,
                            std::chrono::seconds timeout, int local_rank = -1);

  GlooContext(GlooContext&&) noexcept;
  GlooContext& operator=(GlooContext&&) noexcept;
  ~GlooContext();

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  int local_rank() const { return local_rank_; }
  std::string backend_name() const { return "gloo"; }

  /// In place; any dtype Gloo sums (float, double, int, ...), CPU tensors.
  void allreduce_sum(at::Tensor& tensor);
  double allreduce_sum(double value);
  /// Starts the allreduce of a contiguous tensor; wait() on the result before reading it.
  PendingCollective allreduce_sum_async(at::Tensor& tensor);
  void broadcast(at::Tensor& tensor, int root);
  void barrier();

  /// The context of the group of `group_size` consecutive ranks that holds this rank
  /// (ranks [g*group_size, (g+1)*group_size)), sharing this context's store and timeout.
  /// Every rank must call it with the same size; group_size must divide world_size().
  GlooContext subgroup(int group_size);

  /// Every rank allreduces a ones tensor and checks the sum equals the world size.
  void preflight();
  /// Throws DistributedError on every rank, listing the ranks whose hash differs from rank 0's.
  void check_same_config(std::uint64_t config_hash);

 private:
  struct Impl;
  /// Runs a collective; a failure becomes a DistributedError naming the lost rank(s).
  template <class Fn>
  void collective(std::string_view operation, Fn&& fn);
  GlooContext(int rank, int world, int local_rank, std::unique_ptr<Impl> impl);
  /// "rank r/w", or for a subgroup "rank R (r/w of the group of ranks a-b)".
  std::string who() const;

  int rank_;
  int world_;
  int local_rank_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segbench
