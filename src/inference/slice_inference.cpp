#include "segbench/inference/slice_inference.hpp"
#include "segbench/detail/shape_text.hpp"

#include "segbench/error.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>

#include <algorithm>

namespace segbench {

at::Tensor slice_inference(const at::Tensor& image, const SlicePredictFn& predict,
                           std::int64_t slices_per_batch) {
  using detail::shape_text;
  SEGBENCH_CHECK(slices_per_batch >= 1, ConfigError,
                 "slice inference: slices_per_batch must be >= 1, found {}", slices_per_batch);
  SEGBENCH_CHECK(image.defined() && (image.dim() == 4 || (image.dim() == 5 && image.size(0) == 1)),
                 DataError,
                 "slice inference: expected an image (C, D, H, W) or (1, C, D, H, W), found {}",
                 image.defined() ? shape_text(image.sizes()) : "undefined");
  const at::Tensor volume_CDHW = image.dim() == 5 ? image.squeeze(0) : image;
  const std::int64_t depth = volume_CDHW.size(1);
  SEGBENCH_CHECK(depth >= 1, DataError, "slice inference: the image {} has no slices",
                 shape_text(image.sizes()));
  const std::int64_t height = volume_CDHW.size(2), width = volume_CDHW.size(3);

  at::NoGradGuard no_grad;
  const std::int64_t pad = (slices_per_batch - depth % slices_per_batch) % slices_per_batch;
  at::Tensor slices_DCHW = volume_CDHW.transpose(0, 1);
  if (pad > 0) {
    slices_DCHW = at::cat(
        {at::zeros({pad, volume_CDHW.size(0), height, width}, volume_CDHW.options()), slices_DCHW});
  }

  at::Tensor logits_DKHW;
  for (std::int64_t start = 0; start < pad + depth; start += slices_per_batch) {
    const at::Tensor logits = predict(slices_DCHW.narrow(0, start, slices_per_batch).contiguous());
    SEGBENCH_CHECK(logits.defined() && logits.dim() == 4 && logits.size(0) == slices_per_batch &&
                       logits.size(2) == height && logits.size(3) == width &&
                       (!logits_DKHW.defined() || logits.size(1) == logits_DKHW.size(1)),
                   DataError,
                   "slice inference: predict on slices {} must return logits ({}, K, {}, {}), "
                   "found {}",
                   shape_text(slices_DCHW.narrow(0, start, slices_per_batch).sizes()),
                   slices_per_batch, height, width,
                   logits.defined() ? shape_text(logits.sizes()) : "undefined");
    if (!logits_DKHW.defined())
      logits_DKHW = at::empty({depth, logits.size(1), height, width}, logits.options());
    // Batch rows [start, start + n) are volume slices [start − pad, …); the padding is dropped.
    const std::int64_t skip = std::max<std::int64_t>(pad - start, 0);
    logits_DKHW.narrow(0, start + skip - pad, slices_per_batch - skip)
        .copy_(logits.narrow(0, skip, slices_per_batch - skip));
  }
  return logits_DKHW.transpose(0, 1).unsqueeze(0).contiguous();
}

}  // namespace segbench
