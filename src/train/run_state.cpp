#include "segbench/train/run_state.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <set>
#include <string_view>

#include "segbench/error.hpp"

namespace segbench {
namespace {

// JSON has no infinity: "no best quality yet" is stored as null.
nlohmann::json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const RunState& s) {
  return {{"next_epoch", s.next_epoch},
          {"next_iteration", s.next_iteration},
          {"finished", s.finished},
          {"optimizer_steps", s.optimizer_steps},
          {"iterations", s.iterations},
          {"last_quality", s.last_quality},
          {"best_quality", finite_or_null(s.best_quality)},
          {"evals_since_best", s.evals_since_best},
          {"epoch_loss_sum", s.epoch_loss_sum},
          {"last_loss", s.last_loss},
          {"last_accuracy", s.last_accuracy},
          {"schedule_state", s.schedule_state},
          {"elapsed_seconds", s.elapsed_seconds},
          {"train_seconds", s.train_seconds},
          {"samples_trained", s.samples_trained},
          {"epoch_seconds_sum", s.epoch_seconds_sum},
          {"epochs_timed", s.epochs_timed},
          {"seed", s.seed},
          {"world_size", s.world_size},
          {"config", s.config},
          {"log_bytes", s.log_bytes ? nlohmann::json(*s.log_bytes) : nlohmann::json(nullptr)}};
}

RunState run_state_from_json(const nlohmann::json& j, const std::string& source) {
  RunState s;
  try {
    s.next_epoch = j.at("next_epoch").get<int64_t>();
    s.next_iteration = j.at("next_iteration").get<int64_t>();
    s.finished = j.at("finished").get<bool>();
    s.optimizer_steps = j.at("optimizer_steps").get<int64_t>();
    s.iterations = j.at("iterations").get<int64_t>();
    s.last_quality = j.at("last_quality").get<double>();
    if (!j.at("best_quality").is_null()) s.best_quality = j.at("best_quality").get<double>();
    s.evals_since_best = j.at("evals_since_best").get<int64_t>();
    s.epoch_loss_sum = j.at("epoch_loss_sum").get<double>();
    s.last_loss = j.at("last_loss").get<double>();
    s.last_accuracy = j.at("last_accuracy").get<double>();
    s.schedule_state = j.at("schedule_state").get<std::vector<double>>();
    s.elapsed_seconds = j.at("elapsed_seconds").get<double>();
    s.train_seconds = j.at("train_seconds").get<double>();
    s.samples_trained = j.at("samples_trained").get<double>();
    s.epoch_seconds_sum = j.at("epoch_seconds_sum").get<double>();
    s.epochs_timed = j.at("epochs_timed").get<int64_t>();
    s.seed = j.at("seed").get<int64_t>();
    s.world_size = j.at("world_size").get<int>();
    s.config = j.at("config");
    if (!j.at("log_bytes").is_null()) s.log_bytes = j.at("log_bytes").get<std::uintmax_t>();
  } catch (const nlohmann::json::exception& e) {
    throw TrainingError(fmt::format("checkpoint {}: run state unreadable: {}", source, e.what()));
  }
  SEGBENCH_CHECK(s.next_epoch >= 1 && s.next_iteration >= 0 && s.world_size >= 1, TrainingError,
                 "checkpoint {}: impossible run state (epoch {}, iteration {}, {} ranks)", source,
                 s.next_epoch, s.next_iteration, s.world_size);
  return s;
}

std::vector<std::string> resume_config_differences(const nlohmann::json& saved,
                                                   const nlohmann::json& now) {
  static const std::set<std::string, std::less<>> may_change{"notes",
                                                             "reference_command",
                                                             "reference_source",
                                                             "data_dir",
                                                             "data_format",
                                                             "output_dir",
                                                             "log_dir",
                                                             "run_tag",
                                                             "save_ckpt_path",
                                                             "load_ckpt_path",
                                                             "checkpoint_every",
                                                             "checkpoint_every_minutes",
                                                             "keep_checkpoints",
                                                             "model_prefix",
                                                             "logging_frequency",
                                                             "epochs",
                                                             "max_epochs",
                                                             "num_workers",
                                                             "cache_dataset",
                                                             "device",
                                                             "dist",
                                                             "wireup_method",
                                                             "dist_timeout",
                                                             "threads",
                                                             "windows_per_batch",
                                                             "val_batch_size",
                                                             "submission_org",
                                                             "submission_platform",
                                                             "submission_status",
                                                             "submission_division",
                                                             "dry_run",
                                                             "skip_nonfinite"};
  std::vector<std::string> differ;
  if (!saved.is_object() || !now.is_object()) return differ;
  std::set<std::string> keys;
  for (const auto& [k, v] : saved.items()) keys.insert(k);
  for (const auto& [k, v] : now.items()) keys.insert(k);
  for (const auto& k : keys) {
    if (may_change.contains(k)) continue;
    const auto a = saved.find(k), b = now.find(k);
    const std::string was = a == saved.end() ? "(absent)" : a->dump();
    const std::string is = b == now.end() ? "(absent)" : b->dump();
    if (was != is) differ.push_back(fmt::format("{} {} → {}", k, was, is));
  }
  return differ;
}

}  // namespace segbench
