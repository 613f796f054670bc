// Writes fuzz_checkpoint's seed: a valid checkpoint of the tiny model (a few KB).
// Usage: make_checkpoint_fuzz_seed DIR; writes DIR/checkpoint/tiny.sbck.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "segbench/train/checkpoint.hpp"
#include "tiny_checkpoint_model.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = std::filesystem::path(argv[1]) / "checkpoint";
  std::filesystem::create_directories(dir);
  segbench::fuzz::TinyCheckpointModel tiny;
  tiny.optimizer.zero_grad();
  tiny.model(torch::ones({1, 3})).sum().backward();
  tiny.optimizer.step();  // momentum buffers, so the optimizer state is not empty
  segbench::RunState state;
  state.next_epoch = 3;
  state.seed = 7;
  state.last_quality = 0.5;
  state.config = {{"optimizer", "sgd"}};
  segbench::save_checkpoint(dir / "tiny.sbck", *tiny.model, tiny.optimizer, state);
  return 0;
}
