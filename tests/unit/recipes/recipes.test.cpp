// Each recipe's set-up and evaluation wiring: the plan it gives the core (schedule, cadence,
// stop rules, log rules, hooks) and its per-case score, on small models and synthetic cases.
#include "catch_torch.hpp"

#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <cmath>
#include <vector>

#include "segbench/log/mllog_rules.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/recipes/brats/setup.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/recipes/deepcam/setup.hpp"
#include "segbench/recipes/unet3d/setup.hpp"

using namespace segbench;

namespace {

template <class Config, class Parse>
Config parse(Parse parse_cli, std::vector<const char*> args) {
  args.insert(args.begin(), "driver");
  return parse_cli(static_cast<int>(args.size()), args.data());
}

std::vector<CaseFiles> fake_cases(int n) {
  std::vector<CaseFiles> cases;
  for (int i = 0; i < n; ++i) cases.push_back({fmt::format("case_{:05}", i), "x.npy", "y.npy"});
  return cases;
}

}  // namespace

TEST_CASE("unet3d recipe: plan, divergence rule, schedule and per-case score", "[recipes]") {
  at::set_num_threads(1);
  const auto cfg =
      parse<Unet3dConfig>(parse_unet3d_cli, {"--preset", "demo", "--seed", "3", "--data_dir",
                                             "/nonexistent", "--epochs", "7", "--batch_size", "2"});
  DataParallelRun run("unet3d_kits19", run_options(cfg), to_json(cfg));
  CHECK(run.seed() == 3);
  run.connect();
  run.open_log({});
  Unet3D model(unet3d_model_options(cfg));
  auto optimizer = make_unet3d_optimizer(cfg, model);
  Kits19Split split{fake_cases(9), fake_cases(3)};
  const Unet3dData data{split, Kits19Dataset(split.train, false),
                        Kits19Dataset(split.validation, false)};
  const TrainingPlan plan = make_unet3d_plan(cfg, run, model, *optimizer, data);
  CHECK(plan.options.max_epochs == 7);
  CHECK(plan.options.seed == 3);
  CHECK(plan.batching.batch_size == 2);
  CHECK(plan.batching.transform);
  CHECK(plan.log_rules != nullptr);
  REQUIRE(plan.options.abort_rule);
  CHECK(plan.options.abort_rule(EvalResult{.quality = 0.0}).value_or("") ==
        "diverged (eval quality below 1e-06)");
  CHECK_FALSE(plan.options.abort_rule(EvalResult{.quality = 0.2}).has_value());
  CHECK(plan.schedule->lr(1, 0) == Approx(plan.schedule->lr(1, 99)));  // per epoch
  // samples_per_epoch = 4 batches of 2 over 9 cases (drop_last) → logged after run_start.
  bool logged = false;
  for (const auto& [key, value] : plan.options.run_start_events) {
    if (key == "samples_per_epoch") logged = value.get<int64_t>() == 8;
  }
  CHECK(logged);

  torch::manual_seed(0);
  const at::Tensor image = at::randn({1, 40, 40, 40});
  const Sample sample{image, at::randint(0, 3, {1, 40, 40, 40}).to(at::kByte), "case_00000"};
  model->eval();
  const CaseScore score = score_unet3d_case(
      model, sample, {.roi = {32, 32, 32}, .overlap = 0.5, .windows_per_batch = 1});
  REQUIRE(score.scores.size() == 2);  // kidney, tumour
  for (double d : score.scores) CHECK((d >= 0.0 && d <= 1.0));
  CHECK(std::isfinite(score.loss));
}

TEST_CASE("deepcam recipe: HPC plan, per-step schedule, IoU values per sample", "[recipes]") {
  at::set_num_threads(1);
  const auto cfg = parse<DeepcamConfig>(
      parse_deepcam_cli, {"--preset", "demo", "--seed", "4", "--data_dir", "/nonexistent",
                          "--logging_frequency", "3", "--max_inter_threads", "8"});
  DataParallelRun run("deepcam_climate", run_options(cfg), to_json(cfg));
  run.connect();
  run.open_log({});
  DeepLabV3Plus model(deepcam_model_options(cfg));
  CHECK(model->batch_norm_count() == 76);
  auto optimizer = make_deepcam_optimizer(cfg, model);
  const MeanIouTarget target = deepcam_target(cfg);
  CHECK(target.target() == cfg.target_iou);
  const TrainingPlan plan = make_deepcam_plan(cfg, run, model, *optimizer, target);
  CHECK(plan.train_accuracy);
  CHECK(plan.end_of_epoch);
  CHECK_FALSE(plan.options.abort_rule);  // no divergence rule in the HPC reference
  CHECK(plan.batching.batch_size == static_cast<std::size_t>(cfg.local_batch_size));
  CHECK(plan.batching.num_workers == 4);  // min(--max_inter_threads 8, local batch 4)
  CHECK(plan.options.log_every_iterations == 3);
  const StepLrSchedule expected(deepcam_lr_options(cfg));
  for (int64_t step : {0, 1, 50, 1000}) {
    CHECK(plan.schedule->lr(1, step) == expected.lr_for_optimizer_step(step));
  }

  torch::manual_seed(0);
  const Sample sample{at::randn({16, 32, 48}), at::randint(0, 3, {32, 48}).to(at::kByte), "s"};
  model->eval();
  const CaseScore score = score_deepcam_sample(model, sample, target);
  CHECK(score.scores.size() == (cfg.corrected_iou ? 9u : 1u));
  CHECK(std::isfinite(score.loss));
  const auto facts = deepcam_dry_run_facts(cfg, run, model);
  REQUIRE(facts.size() == 5);  // + "preset demo: ..." and "resolved: ..."
  CHECK(facts[0] == std::pair<std::string, std::string>{"batchnorm layers", "76"});
  CHECK(facts[2].second == "per rank");
  CHECK(facts[3].first == "preset demo");
  CHECK_THAT(facts[4].second, Catch::Contains("optimizer=Adam start_lr=0.002"));
}

TEST_CASE("brats recipe: deep-supervision step, epoch policy, slice-wise volume score",
          "[recipes]") {
  at::set_num_threads(1);
  const auto cfg = parse<BratsConfig>(
      parse_brats_cli, {"--preset", "demo", "--seed", "5", "--data_dir", "/nonexistent"});
  DataParallelRun run("unet2d_brats", run_options(cfg), to_json(cfg));
  run.connect();
  run.open_log({});
  Unet2D model(brats_model_options(cfg, 4, 4));
  auto optimizer = make_brats_optimizer(cfg, model);
  const TrainingPlan plan = make_brats_plan(cfg, run, model, *optimizer);
  REQUIRE(plan.training_step);
  CHECK(plan.batching.samples_per_batch == cfg.batch_size);
  CHECK(plan.batching.batch_size == static_cast<std::size_t>(cfg.nvol));
  CHECK(plan.schedule->lr(1, 0) == Approx(cfg.learning_rate));
  CHECK(plan.options.early_stop_patience == (cfg.early_stopping ? cfg.patience : 0));

  torch::manual_seed(0);
  const int64_t depth = 3;
  const Sample volume{at::randn({4, depth, cfg.patch[0], cfg.patch[1]}),
                      at::randint(0, 4, {1, depth, cfg.patch[0], cfg.patch[1]}).to(at::kByte),
                      "BRATS_001"};
  model->eval();
  const CaseScore score = score_brats_volume(model, volume, 2);
  REQUIRE(score.scores.size() == 3);  // the three nested regions
  CHECK(std::isfinite(score.loss));
}
