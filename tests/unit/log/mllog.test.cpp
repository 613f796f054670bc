#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/recipes/unet3d/config.hpp"
#include "segbench/recipes/unet3d/events.hpp"
#include "support/mllog_rules.hpp"

namespace fs = std::filesystem;
using namespace segbench;

namespace {
fs::path examples_dir() {
  return fs::path(SEGBENCH_TEST_DATA_DIR) / "mllog-examples";
}

std::vector<std::string> keys_of(const std::string& text) {
  std::vector<std::string> keys;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) keys.push_back(nlohmann::json::parse(line.substr(9))["key"]);
  return keys;
}
}  // namespace

TEST_CASE("MLLOG line has mllog's key order and caller metadata", "[log]") {
  const auto where = std::source_location::current();
  const std::string line = mllog::format_line(mllog::EventType::interval_end, "epoch_stop", nullptr,
                                              {{"epoch_num", 3}}, 1700000000123, where);
  REQUIRE(line.rfind(":::MLLOG {\"namespace\":\"\",\"time_ms\":1700000000123,"
                     "\"event_type\":\"INTERVAL_END\",\"key\":\"epoch_stop\",\"value\":null,"
                     "\"metadata\":{\"file\":\"mllog.test.cpp\",\"lineno\":",
                     0) == 0);
  const auto json = nlohmann::json::parse(line.substr(9));
  CHECK(json["metadata"]["lineno"] == where.line());
  CHECK(json["metadata"]["epoch_num"] == 3);
}

TEST_CASE("MLLOG refuses non-finite values instead of writing null", "[log]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(mllog::format_line(mllog::EventType::point_in_time, "eval_accuracy", nan, {},
                                         0, std::source_location::current()),
                      Catch::Contains("eval_accuracy") && Catch::Contains("not finite"));
}

TEST_CASE("Logger appends to its file and echoes", "[log]") {
  const fs::path dir = fs::temp_directory_path() / "segbench-mllog-test";
  fs::remove_all(dir);
  std::ostringstream echo;
  {
    mllog::Logger log(dir / "sub" / "unet3d.log", &echo);
    log.start("init_start");
    log.event("seed", 7);
  }
  std::ifstream in(dir / "sub" / "unet3d.log");
  std::stringstream file;
  file << in.rdbuf();
  CHECK(file.str() == echo.str());
  CHECK(keys_of(file.str()) == std::vector<std::string>{"init_start", "seed"});
  fs::remove_all(dir);
}

TEST_CASE("unet3d config block follows SPEC 1.9 order", "[log]") {
  std::ostringstream out;
  mllog::Logger log;  // disabled
  CHECK_FALSE(log.enabled());
  const fs::path file = fs::temp_directory_path() / "segbench-mllog-order.log";
  fs::remove(file);
  {
    mllog::Logger to_file(file, &out);
    const Unet3dConfig config = unet3d_preset("reference");
    log_unet3d_config(to_file, config, 42, {2, 1, 0}, "closed", "1xCPU-2thread");
    for (const auto& [k, v] : unet3d_run_start_events(config, 168, 42, 168, 1)) to_file.event(k, v);
  }
  const std::vector<std::string> expected{"seed",
                                          "submission_benchmark",
                                          "submission_org",
                                          "submission_division",
                                          "submission_status",
                                          "submission_platform",
                                          "opt_name",
                                          "opt_base_learning_rate",
                                          "opt_learning_rate_warmup_epochs",
                                          "opt_learning_rate_decay_boundary_epochs",
                                          "opt_learning_rate_decay_factor",
                                          "opt_weight_decay",
                                          "opt_momentum",
                                          "oversampling",
                                          "training_input_shape",
                                          "validation_input_shape",
                                          "validation_overlap",
                                          "number_of_ranks",
                                          "number_of_nodes",
                                          "accelerators_per_node",
                                          "train_samples",
                                          "eval_samples",
                                          "samples_per_epoch",
                                          "global_batch_size",
                                          "gradient_accumulation_steps"};
  CHECK(keys_of(out.str()) == expected);
  std::istringstream in(out.str());
  std::string line;
  std::map<std::string, nlohmann::json> values;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line.substr(9));
    values[j["key"]] = j["value"];
  }
  // run_and_time.sh values measured in fidelity §1.9.
  CHECK(values["opt_name"] == "sgd");
  CHECK(values["opt_base_learning_rate"] == 0.8);
  CHECK(values["opt_learning_rate_warmup_epochs"] == 200);
  CHECK(values["opt_learning_rate_decay_boundary_epochs"] == nlohmann::json::array());
  CHECK(values["opt_momentum"] == 0.9);
  CHECK(values["training_input_shape"] == nlohmann::json({128, 128, 128}));
  CHECK(values["validation_overlap"] == 0.5);
  CHECK(values["global_batch_size"] == 2);
  CHECK(values["number_of_ranks"] == 2);
  CHECK(values["number_of_nodes"] == 1);
  CHECK(values["accelerators_per_node"] == 0);
  fs::remove(file);
}

TEST_CASE("division: closed only on verified official KiTS19 data", "[log]") {
  Unet3dConfig c = unet3d_preset("demo");
  const prep::OfficialDataStatus official{true, ""};
  const prep::OfficialDataStatus synthetic{false, "segbench_verified.json not found"};
  CHECK(resolve_unet3d_division(c, official) == "closed");
  CHECK(resolve_unet3d_division(c, synthetic) == "open");
  c.submission_division = "open";
  CHECK(resolve_unet3d_division(c, official) == "open");
  c.submission_division = "closed";
  CHECK(resolve_unet3d_division(c, official) == "closed");
  REQUIRE_THROWS_WITH(resolve_unet3d_division(c, synthetic),
                      Catch::Contains("official KiTS19 data") &&
                          Catch::Contains("segbench_verified.json not found"));
}

TEST_CASE("rule checker agrees with the official checker on the example logs", "[log]") {
  for (const char* name : {"unet3d_closed.log", "unet3d_open.log"}) {
    std::vector<std::string> problems;
    const auto lines = testing::parse_mllog_file((examples_dir() / name).string(), problems);
    INFO(name);
    CHECK(problems.empty());
    CHECK(lines.size() > 10);
    CHECK(testing::check_unet3d_rules(lines).empty());
  }
  const std::vector<std::pair<const char*, const char*>> rejected{
      {"unet3d_closed_below_target.log", "0.908"},
      {"unet3d_closed_no_run_stop_status.log", "run_stop: no metadata.status"}};
  for (const auto& [name, reason] : rejected) {
    std::vector<std::string> problems;
    const auto lines =
        testing::parse_mllog_file((examples_dir() / "negative" / name).string(), problems);
    const auto bad = testing::check_unet3d_rules(lines);
    INFO(name);
    REQUIRE_FALSE(bad.empty());
    CHECK_THAT(bad.front(), Catch::Contains(reason));
  }
}
