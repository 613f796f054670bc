#include <catch2/catch.hpp>

#include <sstream>

#include "segbench/log/mllog_keys.hpp"
#include "segbench/recipes/deepcam/config.hpp"
#include "segbench/recipes/deepcam/events.hpp"
#include "support/mllog_rules.hpp"

using namespace segbench;

namespace {

// A whole closed-division log around the events under test: the pre-run block from
// log_deepcam_submission / log_deepcam_config, then the run with one epoch at the target.
std::string closed_log(const DeepcamConfig& config) {
  namespace key = mllog::key;
  std::ostringstream text;
  mllog::Logger log(text);
  log.start(key::kInitStart);
  log.event(key::kCacheClear, nullptr);
  log_deepcam_submission(log, config, "closed", "1xCPU");
  log_deepcam_config(log, config, 7, {.world_size = 4, .number_of_nodes = 2});
  log.event(key::kTrainSamples, 121266);
  log.event(key::kEvalSamples, 15158);
  log.end(key::kInitStop);
  log.start(key::kRunStart);
  log.start(key::kEpochStart, nullptr, {{"epoch_num", 1}, {"step_num", 0}});
  log.start(key::kEvalStart, nullptr, {{"epoch_num", 1}});
  log.event(key::kEvalAccuracy, 0.83, {{"epoch_num", 1}, {"step_num", 10}});
  log.end(key::kEvalStop, nullptr, {{"epoch_num", 1}});
  log.end(key::kEpochStop, nullptr, {{"epoch_num", 1}, {"step_num", 10}});
  log.end(key::kRunStop, nullptr, {{"status", "success"}});
  return text.str();
}

std::vector<std::string> problems_of(const std::string& text) {
  std::vector<std::string> problems;
  const auto lines = testing::parse_mllog_text(text, problems);
  for (auto& p : testing::check_deepcam_rules(lines)) problems.push_back(p);
  return problems;
}

}  // namespace

TEST_CASE("deepcam events meet the closed HPC 3.0.0 rules for each optimizer and schedule",
          "[log]") {
  DeepcamConfig c = deepcam_preset("reference");  // AdamW + multistep
  CHECK(problems_of(closed_log(c)).empty());
  c.optimizer = "LAMB";
  c.lr_schedule = "cosine_annealing";
  c.lr_t_max = 9000;
  c.lr_warmup_steps = 100;
  CHECK(problems_of(closed_log(c)).empty());
  const std::string text = closed_log(c);
  CHECK(text.find("\"key\":\"opt_max_grad_norm\",\"value\":1.0") != std::string::npos);
  CHECK(text.find("\"key\":\"opt_bias_correction\",\"value\":true") != std::string::npos);
  CHECK(text.find("\"key\":\"global_batch_size\",\"value\":32") != std::string::npos);  // 8×4
  CHECK(text.find("\"key\":\"number_of_nodes\",\"value\":2") != std::string::npos);
  CHECK(text.find("\"key\":\"accelerators_per_node\",\"value\":0") != std::string::npos);
}

TEST_CASE("deepcam events: a wrong eps or a missing schedule breaks the closed rules", "[log]") {
  DeepcamConfig c = deepcam_preset("reference");
  c.eps = 1e-8;
  const auto eps_problems = problems_of(closed_log(c));
  REQUIRE(eps_problems.size() == 1);
  CHECK_THAT(eps_problems[0], Catch::Contains("opt_eps"));
  c = deepcam_preset("demo");  // Adam without a schedule: fine for open, not for closed
  const auto schedule_problems = problems_of(closed_log(c));
  REQUIRE(!schedule_problems.empty());
  CHECK_THAT(schedule_problems[0], Catch::Contains("scheduler_type"));
}

TEST_CASE("deepcam division: closed only on the real split with the fixed hyperparameters",
          "[log]") {
  DeepcamConfig c = deepcam_preset("reference");
  CHECK(resolve_deepcam_division(c, 121266, 15158) == "closed");
  CHECK(resolve_deepcam_division(c, 64, 16) == "open");
  c.submission_division = "closed";
  CHECK_THROWS_WITH(resolve_deepcam_division(c, 64, 16), Catch::Contains("121266"));
  c.submission_division = "auto";
  c.corrected_iou = true;
  CHECK(resolve_deepcam_division(c, 121266, 15158) == "open");
  CHECK(changed_fixed_hyperparameters(c) == std::vector<std::string>{"corrected_iou true (false)"});
}
