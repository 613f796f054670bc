// What the trainer pulls training batches from; DeviceBatchSource adapts any loader with
// start_epoch(e) and next() -> optional<Batch>.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace segbench {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual void start_epoch(int64_t epoch) = 0;
  /// Fills the next batch of this epoch; false at the end of the epoch.
  virtual bool next(at::Tensor& image_NCDHW, at::Tensor& label_N1DHW) = 0;
  virtual std::size_t batches_per_epoch() const = 0;
};

/// A loader's batches copied to `device` (no copy on the CPU). Pinned host memory and a
/// non-blocking copy let the copy overlap the previous step's kernels on CUDA.
template <class Loader>
class DeviceBatchSource final : public BatchSource {
 public:
  DeviceBatchSource(Loader& loader, c10::Device device) : loader_(loader), device_(device) {}
  void start_epoch(int64_t epoch) override { loader_.start_epoch(epoch); }
  bool next(at::Tensor& image, at::Tensor& label) override {
    auto batch = loader_.next();
    if (!batch) return false;
    image = to_device(std::move(batch->image_NCDHW));
    label = to_device(std::move(batch->label_N1DHW));
    return true;
  }
  std::size_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }

 private:
  at::Tensor to_device(at::Tensor host) const {
    if (device_.is_cpu()) return host;
    return host.pin_memory().to(device_, host.scalar_type(), /*non_blocking=*/true);
  }
  Loader& loader_;
  c10::Device device_;
};

}  // namespace segbench
