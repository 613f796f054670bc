// The BraTS recipe's optimizer and learning-rate schedule as HAB's models/nn_unet.py builds
// them: SGD with momentum 0.99 (no Nesterov, no weight decay); ReduceLROnPlateau on the
// validation loss (mode min, relative threshold 1e-4); no quality target in the reference.
#include "catch_torch.hpp"

#include <torch/optim/sgd.h>

#include <limits>
#include <vector>

#include "segbench/dist/single_process.hpp"
#include "segbench/recipes/brats/dice_target.hpp"
#include "segbench/recipes/brats/setup.hpp"

using namespace segbench;

namespace {
BratsConfig parse(std::vector<const char*> args) {
  args.insert(args.begin(), "unet2d_brats");
  return parse_brats_cli(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("brats --optimizer sgd: momentum 0.99, no Nesterov, no weight decay", "[recipes]") {
  const BratsConfig cfg = parse(
      {"--preset", "demo", "--data_dir", "/d", "--optimizer", "sgd", "--learning_rate", "0.01"});
  Unet2D model(brats_model_options(cfg, 4, 4));
  auto optimizer = make_brats_optimizer(cfg, model);
  auto* sgd = dynamic_cast<torch::optim::SGD*>(optimizer.get());
  REQUIRE(sgd != nullptr);
  const auto& o = static_cast<const torch::optim::SGDOptions&>(sgd->defaults());
  CHECK(o.lr() == 0.01);
  CHECK(o.momentum() == 0.99);
  CHECK_FALSE(o.nesterov());
  CHECK(o.weight_decay() == 0.0);  // the reference passes none, whatever --weight_decay says
  CHECK(o.dampening() == 0.0);
}

TEST_CASE("brats reference target is never reached; time-to-target stops at 0.73", "[recipes]") {
  BratsDiceTarget none(std::nullopt);
  CHECK_FALSE(none.reached(1.0));
  CHECK(none.target() == std::numeric_limits<double>::infinity());
  BratsDiceTarget ttt(0.73);
  CHECK(ttt.reached(0.73));
  CHECK_FALSE(ttt.reached(0.7299));
  SingleProcessContext ctx;
  ttt.update({1.0, 0.5, 0.0});
  CHECK(ttt.aggregate(ctx) == Approx(0.5));
  CHECK(ttt.class_means() == std::vector<double>{1.0, 0.5, 0.0});
}
