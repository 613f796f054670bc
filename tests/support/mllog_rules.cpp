#include "support/mllog_rules.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

namespace segbench::testing {

std::vector<MllogLine> parse_mllog_file(const std::string& path,
                                        std::vector<std::string>& problems) {
  std::vector<MllogLine> lines;
  std::ifstream in(path);
  if (!in) {
    problems.push_back("cannot open " + path);
    return lines;
  }
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    const auto at = text.find(":::MLLOG");
    if (at == std::string::npos) continue;
    try {
      const auto j = nlohmann::json::parse(text.substr(at + 8));
      for (const char* field : {"time_ms", "key", "value", "metadata", "event_type"}) {
        if (!j.contains(field)) {
          problems.push_back(fmt::format("line {}: missing '{}'", number, field));
        }
      }
      if (!j.contains("key") || !j.contains("metadata")) continue;
      lines.push_back({j.value("event_type", ""), j["key"].get<std::string>(),
                       j.value("value", nlohmann::json()), j["metadata"], j.value("time_ms", 0.0)});
    } catch (const nlohmann::json::exception&) {
      // Like the official parser: a line that mentions the token but is no JSON is skipped.
    }
  }
  return lines;
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

}  // namespace segbench::testing
