#include "segbench/train/lamb.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/serialize/archive.h>

#include <cmath>

#include "segbench/detail/torch_compat.hpp"
#include "segbench/error.hpp"

namespace segbench {

void LambOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta1);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta2);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(max_grad_norm);
}
void LambOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta1);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta2);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, max_grad_norm);
}
void LambParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg_sq);
}
void LambParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, exp_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(at::Tensor, exp_avg_sq);
}

Lamb::Lamb(std::vector<at::Tensor> params, LambOptions defaults)
    : Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                std::make_unique<LambOptions>(defaults)) {
  SEGBENCH_CHECK(defaults.lr() >= 0, ConfigError, "LAMB: invalid learning rate {}", defaults.lr());
  SEGBENCH_CHECK(defaults.beta1() >= 0 && defaults.beta1() < 1 && defaults.beta2() >= 0 &&
                     defaults.beta2() < 1,
                 ConfigError, "LAMB: betas must be in [0, 1), got ({}, {})", defaults.beta1(),
                 defaults.beta2());
}

at::Tensor Lamb::step(LossClosure closure) {
  at::NoGradGuard no_grad;
  at::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  // Apex FusedLAMB clips with one global gradient norm over every parameter of every group,
  // taking max_grad_norm from the first group (its defaults).
  double clip = 1.0;
  const double max_norm =
      static_cast<const LambOptions&>(param_groups_.front().options()).max_grad_norm();
  if (max_norm > 0) {
    double sq = 0.0;
    for (const auto& group : param_groups_) {
      for (const auto& p : group.params()) {
        if (p.grad().defined()) sq += p.grad().to(at::kDouble).pow(2).sum().item<double>();
      }
    }
    const double norm = std::sqrt(sq);
    if (norm > max_norm) clip = max_norm / norm;
  }
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const LambOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const at::Tensor grad = p.grad() * clip;
      auto key = detail::optimizer_state_key(p);
      if (state_.find(key) == state_.end()) {
        auto fresh = std::make_unique<LambParamState>();
        fresh->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        state_[key] = std::move(fresh);
      }
      auto& s = static_cast<LambParamState&>(*state_[key]);
      s.step(s.step() + 1);
      s.exp_avg().mul_(o.beta1()).add_(grad, 1.0 - o.beta1());
      s.exp_avg_sq().mul_(o.beta2()).addcmul_(grad, grad, 1.0 - o.beta2());
      const double bc1 = 1.0 - std::pow(o.beta1(), static_cast<double>(s.step()));
      const double bc2 = 1.0 - std::pow(o.beta2(), static_cast<double>(s.step()));
      at::Tensor update = (s.exp_avg() / bc1) / ((s.exp_avg_sq() / bc2).sqrt() + o.eps());
      // use_nvlamb=False (FusedLAMB's default, the reference's): the trust ratio
      // ||p|| / ||update|| scales the step only where weight decay is on; with weight decay 0
      // the step is the plain bias-corrected Adam direction times lr.
      double ratio = 1.0;
      if (o.weight_decay() != 0) {
        update.add_(p, o.weight_decay());
        const double p_norm = p.norm().item<double>();
        const double u_norm = update.norm().item<double>();
        if (p_norm > 0 && u_norm > 0) ratio = p_norm / u_norm;
      }
      p.add_(update, -o.lr() * ratio);
    }
  }
  return loss;
}

void Lamb::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<LambParamState, LambOptions>(archive, *this);
}
void Lamb::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<LambParamState, LambOptions>(archive, *this);
}

}  // namespace segbench
