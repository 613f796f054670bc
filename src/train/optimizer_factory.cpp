#include "segbench/train/optimizer_factory.hpp"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "segbench/error.hpp"
#include "segbench/train/lamb.hpp"

namespace segbench {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& c,
                                                        std::vector<at::Tensor> parameters) {
  std::string name = c.name;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const auto betas = std::make_tuple(c.betas[0], c.betas[1]);
  if (name == "sgd") {
    // REF3D: torch.optim.SGD(lr, momentum, nesterov=True, weight_decay).
    return std::make_unique<torch::optim::SGD>(std::move(parameters),
                                               torch::optim::SGDOptions(c.learning_rate)
                                                   .momentum(c.momentum)
                                                   .nesterov(true)
                                                   .weight_decay(c.weight_decay));
  }
  if (name == "adam") {
    return std::make_unique<torch::optim::Adam>(std::move(parameters),
                                                torch::optim::AdamOptions(c.learning_rate)
                                                    .betas(betas)
                                                    .eps(c.eps < 0 ? 1e-8 : c.eps)
                                                    .weight_decay(c.weight_decay));
  }
  if (name == "adamw") {
    return std::make_unique<torch::optim::AdamW>(std::move(parameters),
                                                 torch::optim::AdamWOptions(c.learning_rate)
                                                     .betas(betas)
                                                     .eps(c.eps < 0 ? 1e-8 : c.eps)
                                                     .weight_decay(c.weight_decay));
  }
  if (name == "lamb") {
    return std::make_unique<Lamb>(std::move(parameters), LambOptions(c.learning_rate)
                                                             .beta1(c.betas[0])
                                                             .beta2(c.betas[1])
                                                             .eps(c.eps < 0 ? 1e-6 : c.eps)
                                                             .max_grad_norm(c.max_grad_norm)
                                                             .weight_decay(c.weight_decay));
  }
  throw ConfigError(fmt::format("unknown optimizer '{}' (sgd, adam, adamw, lamb)", c.name));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double learning_rate(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().front().options().get_lr();
}

}  // namespace segbench
