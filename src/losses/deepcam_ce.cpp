#include "segbench/losses/deepcam_ce.hpp"

#include <ATen/core/Reduction.h>
#include <ATen/ops/aminmax.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/tensor.h>
#include <c10/core/ScalarType.h>
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "segbench/detail/shape_text.hpp"
#include "segbench/error.hpp"
#include "segbench/metrics/label_checks.hpp"

namespace segbench {

std::array<double, 3> deepcam_class_weights() {
  std::array<double, 3> weights{};
  for (std::size_t c = 0; c < weights.size(); ++c) {
    weights[c] = std::pow(kDeepCamClassFrequencies[c], -0.125);
  }
  return weights;
}

at::Tensor deepcam_ce_loss(const at::Tensor& logits_NCHW, const at::Tensor& label) {
  const at::Tensor label_NHW = checked_label_NHW("deepcam_ce_loss", logits_NCHW, label);
  SEGBENCH_CHECK(logits_NCHW.size(1) == 3, DataError,
                 "deepcam_ce_loss: expected 3 classes (background, TC, AR), found {}",
                 logits_NCHW.size(1));
  const std::array<double, 3> w = deepcam_class_weights();
  const at::Tensor weights = at::tensor(std::vector<double>(w.begin(), w.end()), at::kDouble)
                                 .to(logits_NCHW.device(), at::kFloat)
                                 .to(logits_NCHW.scalar_type());
  const at::Tensor per_pixel = at::cross_entropy_loss(logits_NCHW, label_NHW, weights,
                                                      at::Reduction::None, /*ignore_index=*/-100,
                                                      /*label_smoothing=*/0.0);
  return per_pixel.mean();
}

}  // namespace segbench
