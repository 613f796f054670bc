// The model and optimiser whose checkpoint seeds and feeds fuzz_checkpoint: small, so that a
// valid checkpoint is a few KB.
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>

namespace segbench::fuzz {

struct TinyCheckpointModel {
  torch::nn::Linear model{torch::nn::LinearOptions(3, 2)};
  torch::optim::SGD optimizer{model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9)};
};

}  // namespace segbench::fuzz
