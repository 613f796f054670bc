#include "segbench/log/mllog_rules.hpp"

#include <nlohmann/json.hpp>

#include "segbench/log/mllog_keys.hpp"

namespace segbench::mllog {
namespace {

nlohmann::json epoch_only(const EpochRecord& r) {
  return {{"epoch_num", r.epoch}};
}
// The HPC reference's step_num counts training iterations (train.py's `step`), not optimizer
// steps.
nlohmann::json epoch_and_step(const EpochRecord& r) {
  return {{"epoch_num", r.epoch}, {"step_num", r.iterations}};
}

class TrainingRules final : public EpochLogRules {
 public:
  explicit TrainingRules(bool blocks) : blocks_(blocks) {}
  void epoch_start(Logger& log, const EpochRecord& r) const override {
    if (blocks_) {
      log.start(key::kBlockStart, nullptr, {{"first_epoch_num", r.epoch}, {"epoch_count", 1}});
    }
    log.start(key::kEpochStart, nullptr, epoch_only(r));
  }
  void epoch_trained(Logger& log, const EpochRecord& r) const override {
    // The training rules close the epoch before its evaluation.
    log.end(key::kEpochStop, nullptr, {{"epoch_num", r.epoch}, {"current_lr", r.learning_rate}});
  }
  void eval_start(Logger& log, const EpochRecord& r) const override {
    log.start(key::kEvalStart, r.epoch, epoch_only(r));
  }
  void evaluated(Logger& log, const EpochRecord& r, double quality, double) const override {
    log.event(key::kEvalAccuracy, quality, epoch_only(r));
  }
  void target_reached(Logger&, const EpochRecord&, double) const override {}
  void eval_stop(Logger& log, const EpochRecord& r) const override {
    log.end(key::kEvalStop, nullptr, epoch_only(r));
  }
  void epoch_end(Logger& log, const EpochRecord& r) const override {
    if (blocks_) {
      log.end(key::kBlockStop, nullptr, {{"first_epoch_num", r.epoch}, {"epoch_count", 1}});
    }
  }

 private:
  bool blocks_;
};

class HpcRules final : public EpochLogRules {
 public:
  void epoch_start(Logger& log, const EpochRecord& r) const override {
    log.start(key::kEpochStart, nullptr, epoch_and_step(r));
  }
  void train_progress(Logger& log, const EpochRecord& r) const override {
    log.event(key::kLearningRate, r.learning_rate, epoch_and_step(r));
    if (r.last_accuracy >= 0) log.event(key::kTrainAccuracy, r.last_accuracy, epoch_and_step(r));
    log.event(key::kTrainLoss, r.last_loss, epoch_and_step(r));
  }
  void epoch_trained(Logger& log, const EpochRecord& r) const override {
    train_progress(log, r);  // the reference logs the last batch at every epoch's end
  }
  void eval_start(Logger& log, const EpochRecord& r) const override {
    log.start(key::kEvalStart, r.epoch, epoch_only(r));
  }
  void evaluated(Logger& log, const EpochRecord& r, double quality, double loss) const override {
    log.event(key::kEvalAccuracy, quality, epoch_and_step(r));
    log.event(key::kEvalLoss, loss, epoch_and_step(r));
  }
  void target_reached(Logger& log, const EpochRecord& r, double target) const override {
    log.event(key::kTargetAccuracyReached, target, epoch_and_step(r));
  }
  void eval_stop(Logger& log, const EpochRecord& r) const override {
    log.end(key::kEvalStop, nullptr, epoch_only(r));
  }
  void epoch_end(Logger& log, const EpochRecord& r) const override {
    log.end(key::kEpochStop, nullptr, epoch_and_step(r));
  }
};

}  // namespace

std::shared_ptr<const EpochLogRules> training_rules() {
  return std::make_shared<TrainingRules>(true);
}
std::shared_ptr<const EpochLogRules> training_rules_without_blocks() {
  return std::make_shared<TrainingRules>(false);
}
std::shared_ptr<const EpochLogRules> hpc_rules() {
  return std::make_shared<HpcRules>();
}

}  // namespace segbench::mllog
