// Data parallelism without a C++ DistributedDataParallel: the same initial weights on every
// rank (broadcast from rank 0), then gradients averaged over ranks in size-bounded buckets
// before each optimizer step. Tensor tier.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "segbench/dist/any_context.hpp"

namespace segbench {

/// Copies rank `root`'s values into `tensors` on every rank (parameters and buffers).
void broadcast_tensors(const std::vector<at::Tensor>& tensors, AnyContext& ctx, int root = 0);

/// Replaces every floating-point tensor by its mean over ranks (BatchNorm running statistics
/// after an epoch, as the DeepCAM reference's bnstats); integer tensors such as
/// num_batches_tracked are equal on all ranks and left alone.
void average_floating_tensors(const std::vector<at::Tensor>& tensors, AnyContext& ctx);

struct GradientSyncStats {
  int64_t steps = 0;
  int64_t bytes_per_step = 0;  ///< payload of one averaging pass
  int64_t buckets = 0;
  double seconds = 0.0;                      ///< total time spent in average()
  int64_t buckets_launched_in_backward = 0;  ///< overlap mode: started before average()
};

/// When gradient communication happens.
enum class GradientSyncMode {
  after_backward,  ///< all buckets allreduced once backward has finished
  overlap,         ///< a bucket is allreduced (asynchronously) as soon as backward filled it
};

/// "after_backward" or "overlap"; ConfigError otherwise.
GradientSyncMode gradient_sync_mode(const std::string& name);

class GradientAverager {
 public:
  /// Buckets are filled in reverse parameter order (the order backward produces gradients)
  /// up to `bucket_bytes` each (25 MiB like PyTorch DDP). In overlap mode a hook on every
  /// parameter copies its gradient into its bucket as autograd produces it; buckets are
  /// launched strictly in order, so every rank issues the same collectives in the same order.
  GradientAverager(std::vector<at::Tensor> parameters, AnyContext& ctx,
                   std::size_t bucket_bytes = std::size_t{25} << 20,
                   GradientSyncMode mode = GradientSyncMode::after_backward);
  ~GradientAverager();
  GradientAverager(const GradientAverager&) = delete;
  GradientAverager& operator=(const GradientAverager&) = delete;

  /// Overlap mode: call before each backward; `will_step` is false on the non-final
  /// micro-steps of gradient accumulation, which then communicate nothing.
  void prepare_backward(bool will_step);
  /// After backward: every parameter's gradient becomes the mean over ranks. A parameter
  /// without a gradient contributes zeros, so all ranks run identical collectives.
  void average();
  const GradientSyncStats& stats() const { return stats_; }
  GradientSyncMode mode() const { return mode_; }

 private:
  struct Overlap;  // bucket buffers and readiness of the overlap mode
  void on_gradient(std::size_t k, const at::Tensor& grad);
  void launch_ready_buckets();

  std::vector<at::Tensor> parameters_;
  std::vector<std::vector<std::size_t>> buckets_;  // indices into parameters_
  AnyContext& ctx_;
  GradientSyncStats stats_;
  GradientSyncMode mode_;
  std::unique_ptr<Overlap> overlap_;
};

}  // namespace segbench
