// What the trainer pulls training batches from; DeviceBatchSource adapts any loader with
// start_epoch(e, first_batch) and next() -> optional<Batch>, staging each batch on the device one
// batch ahead.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/Event.h>
#include <c10/core/MemoryFormat.h>
#include <c10/core/Stream.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
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

/// One batch on its way to the device: the device tensors and whatever tells the consumer
/// that their copies have finished.
template <class Ticket>
struct StagedBatch {
  at::Tensor image;
  at::Tensor label;
  Ticket ready;
};

/// How a host batch reaches the device: stage() starts the copies (asynchronously where the
/// device allows), hand_over() makes the consumer wait for them.
template <class S>
concept BatchStager = requires(S s, at::Tensor t, StagedBatch<typename S::Ticket> b) {
  typename S::Ticket;
  { s.stage(t, t) } -> std::same_as<StagedBatch<typename S::Ticket>>;
  s.hand_over(b);
};

/// Copies on a side stream of the device (CUDA: a stream from the pool), so that they overlap
/// the kernels the consumer's stream is running: the host tensors are pinned, copied
/// non-blocking with the side stream current (so the caching allocator files the device
/// blocks under it), converted to channels-last there when asked, and an event is recorded
/// behind them. hand_over() makes the consumer's current stream wait for that event (the host
/// does not wait) and record_stream()s the tensors on it, so that the allocator does not hand
/// their memory to the side stream again while the consumer's kernels still read it. Only
/// device-generic c10 calls: the same code compiles against a CPU-only LibTorch, where a CUDA
/// device is refused before any batch is staged.
class StreamStager {
 public:
  using Ticket = std::optional<c10::Event>;

  StreamStager(c10::Device device, bool channels_last)
      : device_(device),
        channels_last_(channels_last),
        guard_(device.type()),
        side_(guard_.getStreamFromGlobalPool(device)) {}

  StagedBatch<Ticket> stage(const at::Tensor& image, const at::Tensor& label) {
    const c10::StreamGuard on_side(side_);
    StagedBatch<Ticket> staged{copy(image, channels_last_), copy(label, false), std::nullopt};
    staged.ready.emplace(device_.type());
    staged.ready->record(side_);
    return staged;
  }

  void hand_over(StagedBatch<Ticket>& staged) {
    const c10::Stream consumer = guard_.getStream(device_);
    staged.ready->block(consumer);
    staged.image.record_stream(consumer);
    staged.label.record_stream(consumer);
  }

 private:
  at::Tensor copy(const at::Tensor& host, bool channels_last) const {
    const at::Tensor pinned = host.is_pinned() ? host : host.pin_memory();
    at::Tensor on_device = pinned.to(device_, pinned.scalar_type(), /*non_blocking=*/true);
    if (channels_last) on_device = on_device.contiguous(channels_last_format(on_device.dim()));
    return on_device;
  }

  c10::Device device_;
  bool channels_last_;
  c10::impl::VirtualGuardImpl guard_;
  c10::Stream side_;
};

/// A loader's batches on `device`. On the CPU they are the loader's own tensors (no copy;
/// channels-last applied in place of the copy). Elsewhere batch k+1 is staged (its copies
/// started) before batch k is handed over and returned, so the copies of the next batch run
/// while the trainer computes on this one. With `channels_last`, images come in channels-last
/// layout (NHWC / NDHWC).
template <class Loader, BatchStager Stager = StreamStager>
class DeviceBatchSource final : public BatchSource {
 public:
  DeviceBatchSource(Loader& loader, c10::Device device, bool channels_last = false)
      : loader_(loader), device_(device), channels_last_(channels_last) {
    if (!device_.is_cpu()) stager_.emplace(device_, channels_last_);
  }
  /// With a given stager, whatever the device (tests record what it is asked to do).
  DeviceBatchSource(Loader& loader, c10::Device device, std::in_place_t, Stager stager)
      : loader_(loader), device_(device), stager_(std::move(stager)) {}

  void start_epoch(int64_t epoch, std::size_t first_batch) override {
    ahead_.reset();  // a batch staged for an epoch stopped early is dropped
    loader_.start_epoch(epoch, first_batch);
  }

  bool next(at::Tensor& image, at::Tensor& label) override {
    if (!stager_) return next_on_host(image, label);
    if (!ahead_) stage_next();  // the first batch of an epoch
    if (!ahead_) return false;
    StagedBatch<typename Stager::Ticket> current = std::move(*ahead_);
    ahead_.reset();
    stager_->hand_over(current);
    stage_next();  // its copies overlap the step on `current`
    image = std::move(current.image);
    label = std::move(current.label);
    return true;
  }

  std::size_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }

 private:
  bool next_on_host(at::Tensor& image, at::Tensor& label) {
    auto batch = loader_.next();
    if (!batch) return false;
    image = std::move(batch->image_NCDHW);
    if (channels_last_) image = image.contiguous(channels_last_format(image.dim()));
    label = std::move(batch->label_N1DHW);
    return true;
  }

  void stage_next() {
    auto batch = loader_.next();
    if (batch) ahead_.emplace(stager_->stage(batch->image_NCDHW, batch->label_N1DHW));
  }

  Loader& loader_;
  c10::Device device_;
  bool channels_last_ = false;
  std::optional<Stager> stager_;
  std::optional<StagedBatch<typename Stager::Ticket>> ahead_;
};

}  // namespace segbench
