// libFuzzer target: the checkpoint loader on arbitrary bytes, into the tiny model that
// make_fuzz_seeds saves. Kept to the one function below so that a new checkpoint format is a
// change here only. LibTorch itself is not instrumented: its coverage does not guide the
// mutations, but a crash or leak in it is still found.
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "segbench/train/checkpoint.hpp"
#include "tiny_checkpoint_model.hpp"

namespace {

void load_into_tiny_model(const std::filesystem::path& path) {
  segbench::fuzz::TinyCheckpointModel tiny;
  (void)segbench::load_checkpoint(path, *tiny.model, tiny.optimizer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = segbench::fuzz::scratch_file("input.ck.pt");
  segbench::fuzz::write_input(path, data, size);
  try {
    load_into_tiny_model(path);
  } catch (const segbench::Error& error) {  // TrainingError, or ConfigError for another model
    segbench::fuzz::expect_names_file(error, path);
  }
  return 0;
}
