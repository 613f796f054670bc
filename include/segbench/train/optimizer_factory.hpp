// Builds the optimizer named on the command line: sgd (Nesterov momentum), adam, adamw,
// lamb (names are case-insensitive: DeepCAM spells them Adam, AdamW, LAMB).
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace torch::optim {
class Optimizer;
}

namespace segbench {

struct OptimizerConfig {
  std::string name = "sgd";
  double learning_rate = 1.0;
  double momentum = 0.9;
  double weight_decay = 0.0;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = -1.0;           ///< < 0: the optimizer's own default (Adam 1e-8, LAMB 1e-6)
  double max_grad_norm = 1.0;  ///< LAMB's global clip
};

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& config,
                                                        std::vector<at::Tensor> parameters);

/// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
double learning_rate(const torch::optim::Optimizer& optimizer);

}  // namespace segbench
