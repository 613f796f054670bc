// How a run computes: bf16 autocast or fp32, and the memory format of its activations and
// convolution weights. Plain data (no torch), decided by the run and carried by TrainingPlan.
#pragma once

#include <string>

namespace segbench {

struct Precision {
  /// Forward passes (training and evaluation) under bf16 autocast; losses, optimizer state and
  /// master weights stay fp32.
  bool bf16_autocast = false;
  /// Batches and 4-D/5-D convolution weights in channels-last layout (NHWC / NDHWC).
  bool channels_last = false;

  std::string describe() const {
    return std::string(bf16_autocast ? "bf16 autocast" : "fp32") +
           (channels_last ? ", channels-last" : "");
  }
};

}  // namespace segbench
