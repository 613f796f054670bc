// What the trainer pulls training batches from; DeviceBatchSource adapts any loader with
// start_epoch(e, first_batch) and next() -> optional<Batch>.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/MemoryFormat.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace segbench {

/// The channels-last memory format of a 4-D (NCHW) or 5-D (NCDHW) tensor; Contiguous otherwise.
inline c10::MemoryFormat channels_last_format(int64_t dim) {
  if (dim == 4) return c10::MemoryFormat::ChannelsLast;
  if (dim == 5) return c10::MemoryFormat::ChannelsLast3d;
  return c10::MemoryFormat::Contiguous;
}

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// Starts `epoch` at its batch `first_batch` (> 0 when a run resumes mid-epoch).
  virtual void start_epoch(int64_t epoch, std::size_t first_batch) = 0;
  /// Fills the next batch of this epoch; false at the end of the epoch.
  virtual bool next(at::Tensor& image_NCDHW, at::Tensor& label_N1DHW) = 0;
  virtual std::size_t batches_per_epoch() const = 0;
};

/// A loader's batches copied to `device` (no copy on the CPU). Pinned host memory and a
/// non-blocking copy let the copy overlap the previous step's kernels on CUDA. With
/// `channels_last`, images come in channels-last layout (NHWC / NDHWC).
template <class Loader>
class DeviceBatchSource final : public BatchSource {
 public:
  DeviceBatchSource(Loader& loader, c10::Device device, bool channels_last = false)
      : loader_(loader), device_(device), channels_last_(channels_last) {}
  void start_epoch(int64_t epoch, std::size_t first_batch) override {
    loader_.start_epoch(epoch, first_batch);
  }
  bool next(at::Tensor& image, at::Tensor& label) override {
    auto batch = loader_.next();
    if (!batch) return false;
    image = to_device(std::move(batch->image_NCDHW));
    if (channels_last_) image = image.contiguous(channels_last_format(image.dim()));
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
  bool channels_last_;
};

}  // namespace segbench
