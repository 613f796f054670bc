#include <catch2/catch.hpp>

#include <vector>

#include "segbench/error.hpp"
#include "segbench/recipes/brats/config.hpp"
#include "segbench/recipes/deepcam/config.hpp"

using namespace segbench;

namespace {

template <class Parse>
auto parse(Parse parse_fn, std::vector<const char*> args) {
  args.insert(args.begin(), "driver");
  return parse_fn(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("deepcam presets and command line", "[config]") {
  const DeepcamConfig reference = deepcam_preset("reference");
  CHECK(reference.optimizer == "AdamW");
  CHECK(reference.weight_decay == 1e-2);
  CHECK(reference.local_batch_size == 8);
  CHECK(reference.lr_decay_rate == 0.5);
  CHECK(reference.max_epochs == 200);
  CHECK(reference.eps == 1e-6);
  CHECK(changed_fixed_hyperparameters(reference).empty());

  const DeepcamConfig c =
      parse(parse_deepcam_cli, {"--preset", "demo", "--data_dir", "/d", "--optimizer", "LAMB",
                                "--lr_schedule", "cosine_annealing", "--lr_t_max", "100"});
  CHECK(c.width == 0.125);
  CHECK(c.optimizer == "LAMB");
  CHECK(c.lr_t_max == 100);
  CHECK(to_json(c)["fixed_hyperparameters"].size() == 7);
}

TEST_CASE("deepcam command line refuses bad and closed-incompatible values", "[config]") {
  CHECK_THROWS_WITH(parse(parse_deepcam_cli, {"--data_dir", "/d", "--optimizer", "SGD"}),
                    Catch::Contains("Adam, AdamW or LAMB"));
  CHECK_THROWS_WITH(parse(parse_deepcam_cli, {"--data_dir", "/d", "--batchnorm_group_size", "0"}),
                    Catch::Contains("--batchnorm_group_size must be >= 1, got 0"));
  CHECK(parse(parse_deepcam_cli, {"--data_dir", "/d", "--batchnorm_group_size", "4"})
            .batchnorm_group_size == 4);
  CHECK_THROWS_WITH(parse(parse_deepcam_cli,
                          {"--data_dir", "/d", "--submission_division", "closed", "--eps", "1e-8"}),
                    Catch::Contains("eps 1e-08 (1e-6)"));
  CHECK_THROWS_WITH(
      parse(parse_deepcam_cli, {"--data_dir", "/d", "--lr_schedule", "cosine_annealing"}),
      Catch::Contains("--lr_t_max"));
  CHECK_THROWS_WITH(parse(parse_deepcam_cli, {"--preset", "tiny"}), Catch::Contains("tiny"));
  CHECK_THROWS_WITH(parse(parse_deepcam_cli, {}), Catch::Contains("--data_dir"));
}

TEST_CASE("brats presets and command line", "[config]") {
  const BratsConfig reference = brats_preset("reference");
  CHECK(reference.batch_size == 64);
  CHECK(reference.optimizer == "adamw");
  CHECK(reference.learning_rate == 1e-3);
  CHECK(reference.weight_decay == 1e-4);
  CHECK(reference.quality_target == 0.0);  // none: early stopping (brats_config.test.cpp)
  CHECK(reference.patch == std::array<int64_t, 2>{192, 160});
  const BratsConfig c = parse(parse_brats_cli, {"--preset", "demo", "--data_dir", "/d", "--fold",
                                                "3", "--nvol", "2", "--early_stopping"});
  CHECK(c.fold == 3);
  CHECK(slices_per_volume(c) == 8);  // demo batch 16 over 2 volumes
  CHECK(c.early_stopping);
  CHECK_THROWS_WITH(parse(parse_brats_cli, {"--data_dir", "/d", "--fold", "5"}),
                    Catch::Contains("--fold must be in 0..4"));
  CHECK_THROWS_WITH(parse(parse_brats_cli, {"--data_dir", "/d", "--nvol", "3"}),
                    Catch::Contains("multiple of --nvol"));
  CHECK_THROWS_WITH(parse(parse_brats_cli, {"--data_dir", "/d", "--amp", "fp16"}),
                    Catch::Contains("--amp"));
}
