// The HPC-3.0.0 deepcam rule checker (fidelity §4.3): the official checker's verdicts on the
// example logs, then one synthetic log per rule, each made from an accepted log by one edit.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "support/mllog_rules.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using segbench::testing::check_deepcam_rules;
using segbench::testing::parse_mllog_text;

namespace {

std::string example_text(const fs::path& relative) {
  const fs::path path = fs::path(SEGBENCH_TEST_DATA_DIR) / "mllog-examples" / relative;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& closed_log() {
  static const std::string text = example_text("deepcam_closed.log");
  return text;
}

const std::string& open_log() {
  static const std::string text = example_text("deepcam_open.log");
  return text;
}

std::vector<std::string> problems_of(const std::string& text) {
  std::vector<std::string> parse_problems;
  const auto lines = parse_mllog_text(text, parse_problems);
  REQUIRE(parse_problems.empty());
  return check_deepcam_rules(lines);
}

std::string mllog_line(const json& event) {
  return ":::MLLOG " + event.dump();
}

// Passes every MLLOG event of `text` through `edit`; an edit that sets the event to null
// drops it. Other lines are kept, so line numbers only move where events are dropped/added.
std::string edited(const std::string& text, const std::function<void(json&)>& edit) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind(":::MLLOG ", 0) == 0) {
      json event = json::parse(line.substr(9));
      edit(event);
      if (event.is_null()) continue;
      line = mllog_line(event);
    }
    out += line + "\n";
  }
  return out;
}

std::string without(const std::string& text, const std::string& key) {
  return edited(text, [&](json& e) {
    if (e["key"] == key) e = nullptr;
  });
}

std::string with_value(const std::string& text, const std::string& key, const json& value) {
  return edited(text, [&](json& e) {
    if (e["key"] == key) e["value"] = value;
  });
}

json point(const std::string& key, const json& value, const json& metadata = json::object()) {
  return {{"namespace", ""}, {"time_ms", 1700000000055}, {"event_type", "POINT_IN_TIME"},
          {"key", key},      {"value", value},           {"metadata", metadata}};
}

// Inserts `events` right after the (first) event named `after`.
std::string with_events_after(const std::string& text, const std::string& after,
                              const std::vector<json>& events) {
  std::istringstream in(text);
  std::string line, out;
  bool done = false;
  while (std::getline(in, line)) {
    out += line + "\n";
    if (!done && line.rfind(":::MLLOG ", 0) == 0 && json::parse(line.substr(9))["key"] == after) {
      for (const auto& e : events) out += mllog_line(e) + "\n";
      done = true;
    }
  }
  REQUIRE(done);
  return out;
}

void require_only(const std::vector<std::string>& problems, const std::string& expected) {
  INFO("problems: " << json(problems).dump());
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems.front(), Catch::Contains(expected));
}

}  // namespace

TEST_CASE("deepcam rules agree with the official checker on the example logs", "[log]") {
  CHECK(problems_of(closed_log()).empty());
  CHECK(problems_of(open_log()).empty());
  // The official checker rejects this one for opt_eps 1e-08 and nothing else.
  require_only(problems_of(example_text("negative/deepcam_closed_wrong_eps.log")),
               "opt_eps: expected 1e-6 (math.isclose), found 1e-08 (line 20)");
}

TEST_CASE("deepcam common rules: metadata and order", "[log]") {
  SECTION("epoch_start without epoch_num") {
    const auto log = edited(closed_log(), [](json& e) {
      if (e["key"] == "epoch_start") e["metadata"].erase("epoch_num");
    });
    // lineno 31 of the example sits on file line 34 (three lines of prose come first).
    require_only(problems_of(log), "epoch_start: needs metadata.epoch_num (line 34)");
  }
  SECTION("eval_stop without epoch_num") {
    const auto log = edited(open_log(), [](json& e) {
      if (e["key"] == "eval_stop") e["metadata"].erase("epoch_num");
    });
    require_only(problems_of(log), "eval_stop: needs metadata.epoch_num");
  }
  SECTION("staging_stop needs a staging_start before it") {
    const json stop = point("staging_stop", nullptr);
    require_only(problems_of(with_events_after(closed_log(), "init_start", {stop})),
                 "staging_stop: no staging_start before it");
    const json start = point("staging_start", nullptr);
    CHECK(problems_of(with_events_after(closed_log(), "init_start", {start, stop})).empty());
  }
  SECTION("run_stop needs metadata.status") {
    const auto log = edited(open_log(), [](json& e) {
      if (e["key"] == "run_stop") e["metadata"].erase("status");
    });
    require_only(problems_of(log), "run_stop: needs metadata.status");
  }
  SECTION("block_start needs epoch_count > 0") {
    const json block = point("block_start", nullptr, {{"first_epoch_num", 1}, {"epoch_count", 0}});
    require_only(problems_of(with_events_after(closed_log(), "run_start", {block})),
                 "block_start: expected metadata.epoch_count > 0, found 0");
  }
  SECTION("init_stop within 30 min of the first init_start") {
    // init_start is at 1700000000010 ms; 30 min later is 1700001800010 (strictly less needed).
    const auto at_limit = edited(open_log(), [](json& e) {
      if (e["key"] == "init_stop") e["time_ms"] = 1700001800010;
    });
    require_only(problems_of(at_limit), "init_stop: 30.0 min after the first init_start");
    const auto just_inside = edited(open_log(), [](json& e) {
      if (e["key"] == "init_stop") e["time_ms"] = 1700001800009;
    });
    CHECK(problems_of(just_inside).empty());
  }
  SECTION("run_start before init_stop") {
    const json early = point("run_start", nullptr);
    const auto log = with_events_after(without(open_log(), "run_start"), "init_start", {early});
    const auto problems = problems_of(log);
    REQUIRE(problems.size() == 2);  // the checker's init_stop CHECK fails too
    CHECK_THAT(problems[0], Catch::Contains("run_start: before init_stop"));
    CHECK_THAT(problems[1], Catch::Contains("init_stop: after run_start"));
  }
  SECTION("EXACTLY_ONE: a repeat with the same value is accepted, a different one is not") {
    const json same = point("seed", 333);
    CHECK(problems_of(with_events_after(closed_log(), "seed", {same})).empty());
    const json other = point("seed", 334);
    require_only(problems_of(with_events_after(closed_log(), "seed", {other})),
                 "seed: expected exactly one, found 2 with different values");
  }
  SECTION("submission_benchmark must be deepcam") {
    require_only(problems_of(with_value(open_log(), "submission_benchmark", "cosmoflow")),
                 "submission_benchmark: expected deepcam");
  }
}

TEST_CASE("deepcam closed rules", "[log]") {
  SECTION("number_of_nodes is required in closed only") {
    require_only(problems_of(without(closed_log(), "number_of_nodes")),
                 "number_of_nodes: expected exactly one, found none");
    const auto open_division = with_value(closed_log(), "submission_division", "open");
    CHECK(problems_of(without(open_division, "number_of_nodes")).empty());
  }
  SECTION("train_samples must be the full CAM5 split in closed") {
    require_only(problems_of(with_value(closed_log(), "train_samples", 1000)),
                 "train_samples: expected 121266 in closed, found 1000");
    const auto open_division = with_value(closed_log(), "submission_division", "open");
    CHECK(problems_of(with_value(open_division, "train_samples", 1000)).empty());
  }
  SECTION("eval_accuracy without epoch_num") {
    const auto log = edited(closed_log(), [](json& e) {
      if (e["key"] == "eval_accuracy") e["metadata"].erase("epoch_num");
    });
    require_only(problems_of(log), "eval_accuracy: needs metadata.epoch_num (line 39)");
  }
  SECTION("no eval_accuracy in [0.82, 1.0]") {
    require_only(problems_of(with_value(closed_log(), "eval_accuracy", 0.8199)),
                 "eval_accuracy: closed needs one value in [0.82, 1.0], best found 0.8199");
    require_only(problems_of(with_value(closed_log(), "eval_accuracy", 1.01)),
                 "eval_accuracy: closed needs one value in [0.82, 1.0], best found 1.01");
    CHECK(problems_of(with_value(closed_log(), "eval_accuracy", 0.82)).empty());
  }
  SECTION("LAMB needs opt_bias_correction, opt_grad_averaging and opt_max_grad_norm") {
    const auto lamb =
        with_events_after(with_value(closed_log(), "opt_name", "LAMB"), "opt_name",
                          {point("opt_bias_correction", true), point("opt_grad_averaging", true)});
    require_only(problems_of(lamb), "opt_max_grad_norm: expected exactly one, found none");
    CHECK(problems_of(with_events_after(lamb, "opt_name", {point("opt_max_grad_norm", 1.0)}))
              .empty());
    require_only(
        problems_of(with_events_after(lamb, "opt_name", {point("opt_max_grad_norm", 0.5)})),
        "opt_max_grad_norm: expected 1.0 with LAMB, found 0.5");
    // Adam does not ask for the LAMB keys (the example log has none).
    CHECK(problems_of(closed_log()).empty());
  }
  SECTION("opt_name outside {Adam, AdamW, LAMB}") {
    require_only(problems_of(with_value(closed_log(), "opt_name", "SGD")),
                 "opt_name: expected Adam, AdamW or LAMB, found \"SGD\"");
  }
  SECTION("multistep needs scheduler_milestones") {
    require_only(problems_of(without(closed_log(), "scheduler_milestones")),
                 "scheduler_milestones: expected exactly one, found none");
    require_only(problems_of(with_value(closed_log(), "scheduler_decay_rate", 1.5)),
                 "scheduler_decay_rate: expected <= 1 with multistep, found 1.5");
  }
  SECTION("cosine_annealing needs scheduler_t_max >= 1 and scheduler_eta_min >= 0") {
    const auto cosine =
        with_value(without(without(closed_log(), "scheduler_milestones"), "scheduler_decay_rate"),
                   "scheduler_type", "cosine_annealing");
    require_only(
        problems_of(with_events_after(cosine, "scheduler_type", {point("scheduler_eta_min", 0.0)})),
        "scheduler_t_max: expected exactly one, found none");
    CHECK(problems_of(
              with_events_after(cosine, "scheduler_type",
                                {point("scheduler_t_max", 1000), point("scheduler_eta_min", 0.0)}))
              .empty());
  }
  SECTION("scheduler_type is required in closed only") {
    require_only(problems_of(without(closed_log(), "scheduler_type")),
                 "scheduler_type: expected exactly one, found none");
  }
}

TEST_CASE("deepcam open rules ask only for the accuracy", "[log]") {
  // segbench's open logs with `lr_schedule none` carry no scheduler keys, and open leaves
  // the optimiser free: none of the closed-only keys or values may be asked for.
  auto log = with_value(closed_log(), "submission_division", "open");
  for (const char* key : {"scheduler_type", "scheduler_milestones", "scheduler_decay_rate",
                          "scheduler_lr_warmup_steps", "scheduler_lr_warmup_factor",
                          "number_of_nodes", "accelerators_per_node", "batchnorm_group_size"}) {
    log = without(log, key);
  }
  log = with_value(log, "opt_eps", 1e-8);
  log = with_value(log, "opt_name", "SGD");
  CHECK(problems_of(log).empty());

  require_only(problems_of(with_value(open_log(), "eval_accuracy", 0.5)),
               "eval_accuracy: open needs one value in [0.82, 1.0], best found 0.5");
  require_only(problems_of(without(open_log(), "eval_accuracy")),
               "eval_accuracy: expected at least one, found none");
  const auto no_epoch = edited(open_log(), [](json& e) {
    if (e["key"] == "eval_accuracy") e["metadata"].erase("epoch_num");
  });
  require_only(problems_of(no_epoch), "eval_accuracy: needs metadata.epoch_num");
}
