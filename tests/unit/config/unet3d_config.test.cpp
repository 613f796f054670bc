#include <catch2/catch.hpp>

#include <vector>

#include "segbench/error.hpp"
#include "segbench/recipes/unet3d/config.hpp"
#include "segbench/run/run_environment.hpp"

using namespace segbench;

namespace {
Unet3dConfig parse(std::vector<const char*> args) {
  args.insert(args.begin(), "unet3d_kits19");
  return parse_unet3d_cli(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("baseline preset (the default) is the seed's as-is test", "[config]") {
  const Unet3dConfig c = parse({});
  CHECK(c.preset == "baseline");
  CHECK(c.data_dir == "./data");
  CHECK(c.epochs == 4000);
  CHECK(c.learning_rate == 0.8);
  CHECK(c.lr_warmup_epochs == 200);
  CHECK(c.evaluate_every == 20);
  CHECK(c.start_eval_at == 500);
  CHECK(c.batch_size == 2);
  CHECK(c.ga_steps == 1);
  CHECK(c.optimizer == "sgd");
  CHECK(c.quality_threshold == 0.908);
  CHECK(c.filters == std::vector<int64_t>{32, 64, 128, 256, 320});
  CHECK(c.input_shape == std::array<int64_t, 3>{128, 128, 128});
  CHECK(c.notes.empty());
}

TEST_CASE("mlcommons preset is run_and_time.sh; reference is an alias of baseline", "[config]") {
  const Unet3dConfig m = parse({"--preset", "mlcommons", "--seed", "3"});
  CHECK(m.start_eval_at == 1000);
  CHECK(m.data_dir == "/data");
  CHECK(unet3d_reference_command(m) ==
        "main.py --data_dir /data --epochs 4000 --evaluate_every 20 --start_eval_at 1000 "
        "--quality_threshold 0.908 --batch_size 2 --optimizer sgd --ga_steps 1 "
        "--learning_rate 0.8 --seed 3 --lr_warmup_epochs 200");
  CHECK_THAT(unet3d_preset_source("mlcommons"), Catch::Contains("run_and_time.sh"));

  const Unet3dConfig r = parse({"--preset", "reference"});
  CHECK(r.preset == "baseline");
  CHECK(r.start_eval_at == 500);
  REQUIRE(r.notes.size() == 1);
  CHECK_THAT(r.notes[0], Catch::Contains("alias of --preset baseline"));
  // A changed hyperparameter shows up in the reference command, where it can be listed.
  CHECK_THAT(unet3d_reference_command(parse({"--momentum", "0.95", "--lr_decay_epochs", "3", "5"})),
             Catch::EndsWith("--lr_decay_epochs 3 5 --momentum 0.95"));
}

TEST_CASE("reference-only flags are accepted with a note, or refused naming the flag", "[config]") {
  const Unet3dConfig c =
      parse({"--local_rank", "3", "--amp", "--loader", "pytorch", "--warmup_steps", "9", "--layout",
             "NCDHW", "--exec_mode", "train", "-v", "--benchmark", "--cudnn_benchmark"});
  CHECK(c.notes.size() == 8);
  CHECK(c.amp == "bf16");  // the reference's bare --amp: bf16 autocast
  CHECK_THAT(c.notes[1], Catch::StartsWith("--local_rank ignored"));
  REQUIRE_THROWS_WITH(parse({"--loader", "synthetic"}), Catch::Contains("--loader synthetic"));
  REQUIRE_THROWS_WITH(parse({"--exec_mode", "evaluate"}), Catch::Contains("--exec_mode evaluate"));
  REQUIRE_THROWS_WITH(parse({"--include_background"}), Catch::Contains("--include_background"));
  REQUIRE_THROWS_AS(parse({"--no_such_flag"}), ConfigError);
}

TEST_CASE("flags override the chosen preset", "[config]") {
  const Unet3dConfig c =
      parse({"--preset", "demo", "--data_dir", "x", "--epochs", "7", "--learning_rate", "0.5",
             "--input_shape", "16", "32", "48", "--lr_decay_epochs", "3", "5", "--seed", "9"});
  CHECK(c.preset == "demo");
  CHECK(c.epochs == 7);
  CHECK(c.learning_rate == 0.5);
  CHECK(c.input_shape == std::array<int64_t, 3>{16, 32, 48});
  CHECK(c.lr_decay_epochs == std::vector<int64_t>{3, 5});
  CHECK(c.seed == 9);
  CHECK(c.filters == unet3d_preset("demo").filters);
  CHECK(c.fast_upsample);
  CHECK_FALSE(parse({"--data_dir", "x", "--no-fast_upsample"}).fast_upsample);
  CHECK_FALSE(parse({"--data_dir", "x", "--no-brightness_quirk"}).brightness_quirk);
}

TEST_CASE("bad command lines are ConfigErrors that say what is wrong", "[config]") {
  REQUIRE_THROWS_WITH(parse({"--preset", "nope"}), Catch::Contains("unknown preset 'nope'"));
  REQUIRE_THROWS_WITH(parse({"--preset", "demo"}), Catch::Contains("--data_dir is required"));
  REQUIRE_THROWS_WITH(parse({"--data_dir", "x", "--optimizer", "rmsprop"}),
                      Catch::Contains("rmsprop"));
  REQUIRE_THROWS_WITH(parse({"--data_dir", "x", "--input_shape", "100", "128", "128"}),
                      Catch::Contains("multiples of 32"));
  REQUIRE_THROWS_AS(parse({"--data_dir", "x", "--epochs", "abc"}), ConfigError);
  CHECK_NOTHROW(parse({"--dry-run"}));
}

TEST_CASE("evaluation defaults follow SPEC 1.8's table", "[config]") {
  CHECK(default_start_eval_at(168) == 1000);
  CHECK(default_evaluate_every(168) == 20);
  CHECK(default_start_eval_at(160) == 1050);
  CHECK(default_evaluate_every(160) == 21);
  CHECK(default_start_eval_at(128) == 1313);
  CHECK(default_evaluate_every(128) == 27);
}

TEST_CASE("seed resolution", "[config]") {
  CHECK(resolve_seed(5) == 5);
  CHECK(resolve_seed(-1) >= 0);
  REQUIRE_THROWS_AS(resolve_seed(-7), ConfigError);
}
