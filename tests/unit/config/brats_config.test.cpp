// BraTS presets (reference stopping, time-to-target) and the HAB main.py flags (no torch).
#include <catch2/catch.hpp>

#include <vector>

#include "segbench/error.hpp"
#include "segbench/recipes/brats/config.hpp"

using namespace segbench;

namespace {
BratsConfig parse(std::vector<const char*> args) {
  args.insert(args.begin(), "unet2d_brats");
  return parse_brats_cli(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("brats reference preset stops as HAB main.py does; time-to-target adds 0.73",
          "[config]") {
  const BratsConfig r = parse({"--data", "/d"});
  CHECK(r.preset == "reference");
  CHECK(r.data_dir == "/d");
  CHECK(r.early_stopping);
  CHECK(r.patience == 100);
  CHECK(r.min_epochs == 30);
  CHECK(r.max_epochs == 10000);
  CHECK(r.quality_target == 0.0);
  CHECK(r.num_workers == 8);
  CHECK(r.momentum == 0.99);
  CHECK(r.notes.empty());

  const BratsConfig t = parse({"--preset", "time-to-target", "--data", "/d"});
  CHECK_FALSE(t.early_stopping);
  CHECK(t.quality_target == 0.73);
  REQUIRE(t.notes.size() == 1);
  CHECK_THAT(t.notes[0], Catch::Contains("segbench extension"));
  CHECK_THAT(brats_preset_source("time-to-target"), Catch::Contains("segbench"));
  // demo and smoke keep stopping at their target.
  CHECK_FALSE(brats_preset("demo").early_stopping);
  CHECK(brats_preset("smoke").quality_target == 0.90);
}

TEST_CASE("HAB device flags map to device and precision, each with a note", "[config]") {
  const BratsConfig c = parse({"--data", "/d", "--gpus", "2", "--hmp", "--hmp-bf16", "ops.txt",
                               "--run_lazy_mode", "--optimizer", "fusedadamw", "--results", "/r"});
  CHECK(c.device == "cuda");
  CHECK(c.amp == "bf16");
  CHECK(c.optimizer == "adamw");
  CHECK(c.log_dir == "/r");
  CHECK(c.notes.size() == 6);
  // HAB's bare --amp flag (before another flag or at the end) is a bf16 request.
  CHECK(parse({"--data", "/d", "--amp", "--fold", "1"}).amp == "bf16");
  CHECK(parse({"--data", "/d", "--amp"}).amp == "bf16");
  CHECK(parse({"--data", "/d", "--amp", "fp32"}).amp == "fp32");
  CHECK(parse({"--data", "/d", "--log_dir", "/l", "--results", "/r"}).log_dir == "/l");
  // HAB's --channels_last True|False and segbench's bare switch set the same layout option.
  CHECK_FALSE(parse({"--data", "/d"}).channels_last);
  CHECK(parse({"--data", "/d", "--channels_last"}).channels_last);
  CHECK(parse({"--data", "/d", "--channels_last", "True"}).channels_last);
  CHECK_FALSE(parse({"--data", "/d", "--channels_last", "False", "--tf32"}).channels_last);
  CHECK(parse({"--data", "/d", "--tf32"}).tf32);
  CHECK_THROWS_WITH(parse({"--data", "/d", "--channels_last", "maybe"}),
                    Catch::Contains("--channels_last takes true or false, got 'maybe'"));
}

TEST_CASE("HAB flags segbench cannot honour are refused naming the flag", "[config]") {
  CHECK_THROWS_WITH(parse({"--data", "/d", "--task", "04"}), Catch::Contains("--task 04"));
  CHECK_THROWS_WITH(parse({"--data", "/d", "--dim", "3"}), Catch::Contains("--dim 3"));
  CHECK_THROWS_WITH(parse({"--data", "/d", "--exec_mode", "predict"}),
                    Catch::Contains("--exec_mode predict"));
  CHECK_THROWS_WITH(parse({"--data", "/d", "--optimizer", "radam"}),
                    Catch::Contains("RAdam is not in LibTorch"));
  CHECK_THROWS_WITH(parse({"--data", "/d", "--hpus", "1", "--gpus", "1"}),
                    Catch::Contains("cannot use both"));
  CHECK_THROWS_WITH(parse({"--data", "/d", "--quality_target", "1.5"}),
                    Catch::Contains("--quality_target"));
  CHECK_THROWS_AS(parse({"--data", "/d", "--no_such_flag"}), ConfigError);
  const BratsConfig b = parse({"--data", "/d", "--benchmark", "--warmup", "50", "--train_batches",
                               "150", "--max_epochs", "2"});
  CHECK(b.benchmark);
  CHECK_THAT(b.notes.back(), Catch::Contains("not implemented"));
}
