// What the trainer pulls training batches from; adapts any loader with
// start_epoch(e) and next() -> optional<Batch>.
#pragma once

#include <ATen/core/Tensor.h>

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

template <class Loader>
class LoaderBatchSource final : public BatchSource {
 public:
  explicit LoaderBatchSource(Loader& loader) : loader_(loader) {}
  void start_epoch(int64_t epoch) override { loader_.start_epoch(epoch); }
  bool next(at::Tensor& image, at::Tensor& label) override {
    auto batch = loader_.next();
    if (!batch) return false;
    image = std::move(batch->image_NCDHW);
    label = std::move(batch->label_N1DHW);
    return true;
  }
  std::size_t batches_per_epoch() const override { return loader_.batches_per_epoch(); }

 private:
  Loader& loader_;
};

}  // namespace segbench
