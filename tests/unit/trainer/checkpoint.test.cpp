#include "catch_torch.hpp"

#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <filesystem>
#include <fstream>

#include "segbench/error.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/train/checkpoint.hpp"
#include "segbench/train/optimizer_factory.hpp"

namespace fs = std::filesystem;
using namespace segbench;

namespace {

Unet3D tiny_model(uint64_t seed) {
  torch::manual_seed(seed);
  return Unet3D(Unet3DOptions{.filters = {4, 8}});
}

void train_step(Unet3D& model, torch::optim::Optimizer& optimizer, const at::Tensor& x,
                const at::Tensor& y) {
  optimizer.zero_grad();
  at::cross_entropy_loss(model->forward(x), y).backward();
  optimizer.step();
}

bool bitwise_equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!at::equal(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("checkpoint: save, load, one more step equals not stopping (bitwise)", "[trainer]") {
  at::set_num_threads(1);
  const std::string name = GENERATE("sgd", "adam", "lamb");
  INFO(name);
  const fs::path path = fs::temp_directory_path() / ("segbench-ckpt-" + name + ".pt");
  torch::manual_seed(123);
  const at::Tensor x = at::randn({2, 1, 8, 8, 8});
  const at::Tensor y = at::randint(0, 3, {2, 8, 8, 8});
  const OptimizerConfig config{.name = name, .learning_rate = 0.05};

  Unet3D uninterrupted = tiny_model(1);
  auto opt_a = make_optimizer(config, uninterrupted->parameters());
  train_step(uninterrupted, *opt_a, x, y);
  train_step(uninterrupted, *opt_a, x, y);
  save_checkpoint(path, *uninterrupted, *opt_a, {.epoch = 2, .last_quality = 0.5, .seed = 7});
  train_step(uninterrupted, *opt_a, x, y);

  Unet3D resumed = tiny_model(2);  // different initial weights: all must come from the file
  auto opt_b = make_optimizer(config, resumed->parameters());
  REQUIRE_FALSE(bitwise_equal(resumed->parameters(), uninterrupted->parameters()));
  const CheckpointState state = load_checkpoint(path, *resumed, *opt_b);
  CHECK(state.epoch == 2);
  CHECK(state.last_quality == 0.5);
  CHECK(state.seed == 7);
  train_step(resumed, *opt_b, x, y);
  CHECK(bitwise_equal(resumed->parameters(), uninterrupted->parameters()));
  fs::remove(path);
}

TEST_CASE("checkpoint: missing or corrupt file is a TrainingError naming it", "[trainer]") {
  Unet3D model = tiny_model(1);
  auto optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.1}, model->parameters());
  const fs::path missing = fs::temp_directory_path() / "segbench-no-such-ckpt.pt";
  REQUIRE_THROWS_WITH(load_checkpoint(missing, *model, *optimizer),
                      Catch::Contains(missing.string()) && Catch::Contains("does not exist"));
  const fs::path corrupt = fs::temp_directory_path() / "segbench-corrupt-ckpt.pt";
  std::ofstream(corrupt) << "definitely not a zip archive";
  REQUIRE_THROWS_WITH(load_checkpoint(corrupt, *model, *optimizer),
                      Catch::Contains(corrupt.string()));
  fs::remove(corrupt);
}

TEST_CASE("checkpoint: saves replace the file whole and failures name the path", "[trainer]") {
  Unet3D model = tiny_model(1);
  auto optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.1}, model->parameters());
  const fs::path dir = fs::temp_directory_path() / "segbench-ckpt-atomic";
  fs::remove_all(dir);
  const fs::path path = dir / "model.pt";
  save_checkpoint(path, *model, *optimizer, {.epoch = 1});
  save_checkpoint(path, *model, *optimizer, {.epoch = 2});
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);  // no temp file left beside the checkpoint
  Unet3D other = tiny_model(3);
  auto other_opt = make_optimizer({.name = "sgd", .learning_rate = 0.1}, other->parameters());
  CHECK(load_checkpoint(path, *other, *other_opt).epoch == 2);

  // A parent that is a regular file: the save must fail loudly and touch nothing.
  const fs::path blocked = path / "nested.pt";
  REQUIRE_THROWS_WITH(save_checkpoint(blocked, *model, *optimizer, {.epoch = 3}),
                      Catch::Contains(blocked.string()));
  CHECK(load_checkpoint(path, *other, *other_opt).epoch == 2);
  fs::remove_all(dir);
}

TEST_CASE("checkpoint: one of another model is refused, naming the tensors that differ",
          "[trainer]") {
  Unet3D narrow = tiny_model(1);
  auto narrow_sgd = make_optimizer({.name = "sgd", .learning_rate = 0.1}, narrow->parameters());
  const fs::path path = fs::temp_directory_path() / "segbench-narrow-ckpt.pt";
  save_checkpoint(path, *narrow, *narrow_sgd, {1, 0.5, 7});
  torch::manual_seed(2);
  Unet3D wide(Unet3DOptions{.filters = {4, 16}});  // the second level twice as wide
  auto wide_sgd = make_optimizer({.name = "sgd", .learning_rate = 0.1}, wide->parameters());
  const at::Tensor before = wide->parameters().back().clone();
  REQUIRE_THROWS_WITH(load_checkpoint(path, *wide, *wide_sgd),
                      Catch::Contains(path.string()) && Catch::Contains("is of another model") &&
                          Catch::Contains("in the checkpoint, ") &&
                          Catch::Contains(" in this model"));
  CHECK(at::equal(before, wide->parameters().back()));  // nothing was loaded
  // The same model loads.
  Unet3D same = tiny_model(3);
  auto same_sgd = make_optimizer({.name = "sgd", .learning_rate = 0.1}, same->parameters());
  CHECK(load_checkpoint(path, *same, *same_sgd).seed == 7);
  fs::remove(path);
}
