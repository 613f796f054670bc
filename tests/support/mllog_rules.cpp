#include "support/mllog_rules.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

namespace segbench::testing {

std::vector<MllogLine> parse_mllog_file(const std::string& path,
                                        std::vector<std::string>& problems) {
  std::ifstream in(path);
  if (!in) {
    problems.push_back("cannot open " + path);
    return {};
  }
  return mllog::read_mllog(in, problems);
}

std::vector<MllogLine> parse_mllog_text(const std::string& text,
                                        std::vector<std::string>& problems) {
  std::istringstream in(text);
  return mllog::read_mllog(in, problems);
}

namespace {

std::vector<const MllogLine*> all_of_key(const std::vector<MllogLine>& lines,
                                         const std::string& key) {
  std::vector<const MllogLine*> found;
  for (const auto& l : lines) {
    if (l.key == key) found.push_back(&l);
  }
  return found;
}

const MllogLine* first_of(const std::vector<MllogLine>& lines, const std::string& key) {
  for (const auto& l : lines) {
    if (l.key == key) return &l;
  }
  return nullptr;
}

std::ptrdiff_t first_index(const std::vector<MllogLine>& lines, const std::string& key) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].key == key) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

}  // namespace

std::vector<std::string> check_unet3d_rules(const std::vector<MllogLine>& lines) {
  std::vector<std::string> bad;
  const auto exactly_one = [&](const std::string& key) {
    const auto found = all_of_key(lines, key);
    if (found.size() != 1)
      bad.push_back(fmt::format("{}: expected exactly one, found {}", key, found.size()));
    return found.empty() ? nullptr : found.front();
  };
  const auto at_least_one = [&](const std::string& key) {
    if (all_of_key(lines, key).empty()) bad.push_back(key + ": expected at least one");
  };

  for (const char* key : {"submission_org", "submission_platform"}) {
    if (const auto* l = exactly_one(key); l && l->value == "")
      bad.push_back(std::string(key) + ": empty");
  }
  const auto* division = exactly_one("submission_division");
  const std::string div =
      division && division->value.is_string() ? division->value.get<std::string>() : "";
  if (div != "closed" && div != "open") bad.push_back("submission_division: not closed/open");
  if (const auto* s = exactly_one("submission_status")) {
    static const std::set<std::string> ok{"cloud", "onprem", "preview", "research"};
    if (!s->value.is_string() || !ok.count(s->value.get<std::string>()))
      bad.push_back("submission_status: invalid");
  }
  if (const auto* b = exactly_one("submission_benchmark"); b && b->value != "unet3d") {
    bad.push_back("submission_benchmark: not unet3d");
  }
  for (const char* key : {"init_stop", "run_start", "run_stop", "train_samples", "eval_samples"}) {
    exactly_one(key);
  }
  for (const char* key : {"cache_clear", "init_start", "eval_accuracy"}) at_least_one(key);

  const auto init_start = first_index(lines, "init_start");
  const auto init_stop = first_index(lines, "init_stop");
  const auto run_start = first_index(lines, "run_start");
  const auto run_stop = first_index(lines, "run_stop");
  if (init_start >= 0 && init_stop >= 0 && init_start > init_stop)
    bad.push_back("init_start after init_stop");
  if (init_start >= 0 && run_start >= 0 && init_start > run_start)
    bad.push_back("init_start after run_start");
  if (init_stop >= 0 && run_start >= 0 && run_start < init_stop)
    bad.push_back("run_start before init_stop");
  if (run_stop >= 0 && run_start >= 0 && run_stop < run_start)
    bad.push_back("run_stop before run_start");
  if (run_stop >= 0 && !lines[run_stop].metadata.contains("status"))
    bad.push_back("run_stop: no metadata.status");
  if (init_start >= 0 && init_stop >= 0) {
    const double limit_min = div == "closed" ? 30 : 240;
    if (lines[init_stop].time_ms - lines[init_start].time_ms > limit_min * 60e3)
      bad.push_back("init took too long");
  }

  const bool blocks =
      !all_of_key(lines, "block_start").empty() && !all_of_key(lines, "block_stop").empty();
  const bool epochs =
      !all_of_key(lines, "epoch_start").empty() && !all_of_key(lines, "epoch_stop").empty();
  if (!blocks && !epochs) bad.push_back("need block_start/block_stop or epoch_start/epoch_stop");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    const auto& m = l.metadata;
    if (l.key == "block_start") {
      if (run_start < 0 || static_cast<std::ptrdiff_t>(i) < run_start)
        bad.push_back("block_start before run_start");
      const bool by_epoch = m.contains("epoch_count") && m["epoch_count"].is_number() &&
                            m["epoch_count"].get<double>() > 0 && m.contains("first_epoch_num");
      const bool by_samples = m.contains("samples_count") && m["samples_count"].get<double>() >= 0;
      if (!by_epoch && !by_samples)
        bad.push_back("block_start: needs epoch_count>0 + first_epoch_num or samples_count");
    }
    if (l.key == "block_stop" && !m.contains("first_epoch_num") && !m.contains("samples_count")) {
      bad.push_back("block_stop: needs first_epoch_num or samples_count");
    }
    if ((l.key == "epoch_start" || l.key == "epoch_stop") && !m.contains("epoch_num")) {
      bad.push_back(l.key + ": needs epoch_num");
    }
    if ((l.key == "eval_start" || l.key == "eval_stop" || l.key == "eval_accuracy") &&
        !m.contains("epoch_num") && !m.contains("samples_count")) {
      bad.push_back(l.key + ": needs epoch_num or samples_count");
    }
  }

  const auto accuracies = all_of_key(lines, "eval_accuracy");
  for (const auto* a : accuracies) {
    if (!a->metadata.contains("epoch_num"))
      bad.push_back("eval_accuracy: needs metadata.epoch_num");
  }
  if (div == "closed") {
    for (const char* key :
         {"gradient_accumulation_steps", "global_batch_size", "opt_name", "opt_base_learning_rate",
          "opt_learning_rate_warmup_epochs", "opt_learning_rate_decay_boundary_epochs",
          "opt_learning_rate_decay_factor", "opt_weight_decay", "seed", "opt_momentum",
          "oversampling", "training_input_shape", "validation_input_shape", "validation_overlap"}) {
      exactly_one(key);
    }
    if (const auto* g = first_of(lines, "gradient_accumulation_steps");
        g && !(g->value.is_number() && g->value.get<double>() > 0)) {
      bad.push_back("gradient_accumulation_steps: must be > 0");
    }
    if (const auto* w = first_of(lines, "opt_learning_rate_warmup_epochs");
        w && !(w->value.is_number() && w->value.get<double>() >= 0)) {
      bad.push_back("opt_learning_rate_warmup_epochs: must be >= 0");
    }
    const auto* t = first_of(lines, "train_samples");
    const auto* e = first_of(lines, "eval_samples");
    if (t && t->value != 168) bad.push_back("train_samples: closed needs 168");
    if (e && e->value != 42) bad.push_back("eval_samples: closed needs 42");
    const bool reached = std::any_of(accuracies.begin(), accuracies.end(), [](const MllogLine* a) {
      return a->value.is_number() && a->value.get<double>() >= 0.908;
    });
    if (!reached) bad.push_back("eval_accuracy: closed needs one value >= 0.908");
  } else if (div == "open") {
    const bool below_one = std::any_of(
        accuracies.begin(), accuracies.end(),
        [](const MllogLine* a) { return a->value.is_number() && a->value.get<double>() < 1.0; });
    if (!below_one) bad.push_back("eval_accuracy: open needs one value < 1.0");
  }
  return bad;
}

namespace {

using Json = nlohmann::json;

// Counts and checks keys the way the official checker's REQ / CHECK / ATLEAST_ONE_CHECK do.
class RuleReport {
 public:
  explicit RuleReport(const std::vector<MllogLine>& lines) : lines_(lines) {}

  void fail(std::string message) { problems_.push_back(std::move(message)); }

  // EXACTLY_ONE: repeats with an identical value are accepted (the checker only warns).
  const MllogLine* exactly_one(const std::string& key) {
    const auto found = all_of_key(lines_, key);
    if (found.empty()) {
      fail(fmt::format("{}: expected exactly one, found none", key));
      return nullptr;
    }
    const bool same = std::all_of(found.begin(), found.end(),
                                  [&](const MllogLine* l) { return l->value == found[0]->value; });
    if (!same) {
      fail(fmt::format("{}: expected exactly one, found {} with different values", key,
                       found.size()));
    }
    return found.front();
  }

  void at_least_one(const std::string& key) {
    if (all_of_key(lines_, key).empty()) fail(key + ": expected at least one, found none");
  }

  // AT_LEAST_ONE_OR(other), as written on `key`.
  void at_least_one_or(const std::string& key, const std::string& other) {
    if (all_of_key(lines_, key).empty() && all_of_key(lines_, other).empty())
      fail(fmt::format("{}: expected at least one {} or {}, found neither", key, key, other));
  }

  // CHECK on the value of every occurrence.
  template <typename Predicate>
  void check_value(const std::string& key, Predicate&& holds, std::string_view expected) {
    for (const auto* l : all_of_key(lines_, key)) {
      if (!holds(l->value)) {
        fail(fmt::format("{}: expected {}, found {} (line {})", key, expected, l->value.dump(),
                         l->line_number));
      }
    }
  }

  // CHECK "'field' in v['metadata']" on every occurrence.
  void check_metadata(const std::string& key, const std::string& field) {
    for (const auto* l : all_of_key(lines_, key)) {
      if (!l->metadata.contains(field))
        fail(fmt::format("{}: needs metadata.{} (line {})", key, field, l->line_number));
    }
  }

  // REQ EXACTLY_ONE plus a CHECK on the value.
  template <typename Predicate>
  void exactly_one_where(const std::string& key, Predicate&& holds, std::string_view expected) {
    exactly_one(key);
    check_value(key, holds, expected);
  }

  std::vector<std::string> take() { return std::move(problems_); }

 private:
  const std::vector<MllogLine>& lines_;
  std::vector<std::string> problems_;
};

template <typename Compare>
auto number_where(Compare compare) {
  return [compare](const Json& v) { return v.is_number() && compare(v.get<double>()); };
}

auto one_of(std::set<std::string> allowed) {
  return [allowed = std::move(allowed)](const Json& v) {
    return v.is_string() && allowed.count(v.get<std::string>()) > 0;
  };
}

bool not_empty_string(const Json& v) {
  return v != "";
}

// Python's math.isclose with its defaults (rel_tol 1e-9, abs_tol 0).
bool is_close(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

// hpc_3.0.0/common.yaml: counts, metadata, and the order the checker's state machine enforces.
void check_hpc_common(const std::vector<MllogLine>& lines, RuleReport& report) {
  for (const char* key : {"submission_org", "submission_platform"})
    report.exactly_one_where(key, not_empty_string, "a non-empty string");
  report.exactly_one_where("submission_division", one_of({"closed", "open"}), "closed or open");
  report.exactly_one_where("submission_status", one_of({"cloud", "onprem", "preview", "research"}),
                           "cloud, onprem, preview or research");
  for (const char* key : {"init_stop", "run_start", "run_stop"}) report.exactly_one(key);
  for (const char* key : {"train_samples", "eval_samples"})
    report.exactly_one_where(key, not_empty_string, "a value");
  report.at_least_one("cache_clear");
  report.at_least_one("init_start");
  report.at_least_one_or("block_start", "epoch_start");
  report.at_least_one_or("block_stop", "epoch_stop");
  report.at_least_one_or("eval_start", "block_start");
  report.at_least_one_or("eval_stop", "block_stop");

  report.check_metadata("run_stop", "status");
  report.check_metadata("block_start", "epoch_count");
  report.check_metadata("block_start", "first_epoch_num");
  for (const auto& l : lines) {
    if (l.key == "block_start" && l.metadata.contains("epoch_count") &&
        !number_where([](double n) { return n > 0; })(l.metadata["epoch_count"])) {
      report.fail(fmt::format("block_start: expected metadata.epoch_count > 0, found {} (line {})",
                              l.metadata["epoch_count"].dump(), l.line_number));
    }
  }
  report.check_metadata("block_stop", "first_epoch_num");
  for (const char* key : {"epoch_start", "epoch_stop", "eval_start", "eval_stop"})
    report.check_metadata(key, "epoch_num");

  constexpr double init_limit_ms = 30 * 60 * 1e3;
  bool init_started = false, init_stopped = false, run_started = false, staging_started = false;
  double first_init_start_ms = 0;
  for (const auto& l : lines) {
    const auto at = [&](std::string_view what) {
      report.fail(fmt::format("{}: {} (line {})", l.key, what, l.line_number));
    };
    if (l.key == "init_start") {
      if (init_stopped) at("after init_stop");
      if (run_started) at("after run_start");
      first_init_start_ms = init_started ? std::min(first_init_start_ms, l.time_ms) : l.time_ms;
      init_started = true;
    } else if (l.key == "init_stop") {
      if (!init_started) at("before any init_start");
      if (run_started) at("after run_start");
      if (init_started && !(l.time_ms - first_init_start_ms < init_limit_ms))
        at(fmt::format("{:.1f} min after the first init_start, limit 30 min",
                       (l.time_ms - first_init_start_ms) / 60e3));
      init_stopped = true;
    } else if (l.key == "staging_start") {
      staging_started = true;
    } else if (l.key == "staging_stop") {
      if (!staging_started) at("no staging_start before it");
    } else if (l.key == "run_start") {
      if (!init_stopped) at("before init_stop");
      run_started = true;
    } else if (l.key == "run_stop") {
      if (!run_started) at("before run_start");
    } else if (l.key == "block_start") {
      if (!run_started) at("before run_start");
    }
  }
}

// closed_deepcam.yaml / open_deepcam.yaml share this rule.
void check_deepcam_accuracy(const std::vector<MllogLine>& lines, RuleReport& report,
                            const std::string& division) {
  report.at_least_one("eval_accuracy");
  report.check_metadata("eval_accuracy", "epoch_num");
  const auto accuracies = all_of_key(lines, "eval_accuracy");
  const bool reached = std::any_of(accuracies.begin(), accuracies.end(), [](const MllogLine* a) {
    return number_where([](double x) { return x >= 0.82 && x <= 1.0; })(a->value);
  });
  if (!accuracies.empty() && !reached) {
    double best = -1;
    for (const auto* a : accuracies) {
      if (a->value.is_number()) best = std::max(best, a->value.get<double>());
    }
    report.fail(fmt::format("eval_accuracy: {} needs one value in [0.82, 1.0], best found {}",
                            division, best < 0 ? std::string("none") : fmt::format("{}", best)));
  }
}

// closed_common.yaml + closed_deepcam.yaml and the files it enqueues by value.
void check_closed_deepcam(const std::vector<MllogLine>& lines, RuleReport& report) {
  const auto positive = number_where([](double n) { return n > 0; });
  const auto non_negative = number_where([](double n) { return n >= 0; });
  for (const char* key : {"gradient_accumulation_steps", "gradient_accumulation_frequency"})
    report.check_value(key, positive, "> 0");
  report.exactly_one_where("number_of_nodes", positive, "> 0");
  report.exactly_one_where("accelerators_per_node", non_negative, ">= 0");

  for (const char* key : {"gradient_accumulation_frequency", "seed", "global_batch_size",
                          "batchnorm_group_size", "opt_lr"}) {
    report.exactly_one_where(key, positive, "> 0");
  }
  const auto* opt_name = report.exactly_one("opt_name");
  report.check_value("opt_name", one_of({"Adam", "AdamW", "LAMB"}), "Adam, AdamW or LAMB");
  report.exactly_one_where(
      "opt_betas", [](const Json& v) { return v.is_array() && v.size() == 2; }, "a list of 2");
  report.exactly_one_where("opt_eps", number_where([](double e) { return is_close(e, 1e-6); }),
                           "1e-6 (math.isclose)");
  const auto* scheduler = report.exactly_one("scheduler_type");
  report.check_value("scheduler_type", one_of({"multistep", "cosine_annealing"}),
                     "multistep or cosine_annealing");
  report.exactly_one_where("scheduler_lr_warmup_steps", non_negative, ">= 0");
  report.exactly_one_where("scheduler_lr_warmup_factor",
                           number_where([](double f) { return f >= 1; }), ">= 1");
  report.exactly_one_where("train_samples", number_where([](double n) { return n == 121266; }),
                           "121266 in closed");
  report.exactly_one_where("eval_samples", number_where([](double n) { return n == 15158; }),
                           "15158 in closed");
  check_deepcam_accuracy(lines, report, "closed");

  if (opt_name && opt_name->value == "LAMB") {
    for (const char* key : {"opt_bias_correction", "opt_grad_averaging"})
      report.exactly_one_where(
          key, [](const Json& v) { return v == true; }, "true with LAMB");
    report.exactly_one_where("opt_max_grad_norm", number_where([](double n) { return n == 1.0; }),
                             "1.0 with LAMB");
  }
  if (scheduler && scheduler->value == "multistep") {
    report.exactly_one_where(
        "scheduler_milestones", [](const Json& v) { return v.is_array(); },
        "a list with multistep");
    report.exactly_one_where("scheduler_decay_rate", number_where([](double r) { return r <= 1; }),
                             "<= 1 with multistep");
  } else if (scheduler && scheduler->value == "cosine_annealing") {
    report.exactly_one_where("scheduler_t_max", number_where([](double t) { return t >= 1; }),
                             ">= 1 with cosine_annealing");
    report.exactly_one_where("scheduler_eta_min", non_negative, ">= 0 with cosine_annealing");
  }
}

}  // namespace

std::vector<std::string> check_deepcam_rules(const std::vector<MllogLine>& lines) {
  RuleReport report(lines);
  check_hpc_common(lines, report);
  report.exactly_one_where(
      "submission_benchmark", [](const Json& v) { return v == "deepcam"; },
      "deepcam (this is the deepcam ruleset)");

  const auto* division = first_of(lines, "submission_division");
  const std::string div =
      division && division->value.is_string() ? division->value.get<std::string>() : "";
  if (div == "closed") {
    check_closed_deepcam(lines, report);
  } else if (div == "open") {
    check_deepcam_accuracy(lines, report, "open");
  }
  return report.take();
}

}  // namespace segbench::testing
