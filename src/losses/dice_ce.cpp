#include "segbench/losses/dice_ce.hpp"

#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/softmax.h>

#include "segbench/metrics/dice_coefficient.hpp"

namespace segbench {

at::Tensor dice_ce_loss(const at::Tensor& logits_NCDHW, const at::Tensor& label_N1DHW,
                        bool include_background) {
  check_logits_and_label("dice_ce_loss", logits_NCDHW, label_N1DHW);
  const at::Tensor probabilities = at::softmax(logits_NCDHW, 1);
  const at::Tensor target_onehot =
      one_hot_NCDHW(label_N1DHW, logits_NCDHW.size(1), probabilities.scalar_type());
  const at::Tensor dice = dice_coefficient(target_onehot, probabilities, include_background);
  const at::Tensor dice_loss = at::mean(dice.neg().add(1.0));
  const at::Tensor cross_entropy =
      at::cross_entropy_loss(logits_NCDHW, label_N1DHW.squeeze(1).to(at::kLong));
  return dice_loss.add(cross_entropy).div(2.0);
}

}  // namespace segbench
