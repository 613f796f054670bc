#include "catch_torch.hpp"

#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "segbench/error.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/train/checkpoint_file.hpp"
#include "segbench/train/lr_schedule.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "segbench/train/trainer.hpp"
#include "support/scratch_dir.hpp"
#include "support/test_devices.hpp"

namespace fs = std::filesystem;
using namespace segbench;
using segbench::test::CpuResults;
using segbench::test::test_devices;

namespace {

// Two fixed batches per epoch, drawn on the CPU and handed out on `device`.
class FixedBatches final : public BatchSource {
 public:
  explicit FixedBatches(c10::Device device) : device_(device) {}
  void start_epoch(int64_t epoch, std::size_t first_batch) override {
    epochs_started.push_back(epoch);
    position_ = static_cast<int>(first_batch);
  }
  bool next(at::Tensor& image, at::Tensor& label) override {
    if (position_ == 2) return false;
    torch::manual_seed(static_cast<uint64_t>(position_++));
    image = at::randn({1, 1, 8, 8, 8}).to(device_);
    label = at::randint(0, 3, {1, 1, 8, 8, 8}).to(device_, at::kByte);
    return true;
  }
  std::size_t batches_per_epoch() const override { return 2; }
  std::vector<int64_t> epochs_started;

 private:
  c10::Device device_;
  int position_ = 0;
};

struct Fixture {
  Unet3D model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  FixedBatches batches;  // on the model's device
  std::ostringstream mllog_text;
  mllog::Logger log{fs::temp_directory_path() / "segbench-trainer-test.log", &mllog_text};
  std::vector<double> qualities;  // returned by successive evaluations
  std::vector<int64_t> evaluated_epochs;
  std::vector<bool> backward_will_step;  // what before_backward was told, per backward
  std::function<at::Tensor(const at::Tensor&, const at::Tensor&)> loss =
      [](const at::Tensor& logits, const at::Tensor& label) {
        return at::cross_entropy_loss(logits, label.squeeze(1).to(at::kLong));
      };

  explicit Fixture(c10::Device device = c10::kCPU) : batches(device) {
    torch::manual_seed(0);
    model = Unet3D(Unet3DOptions{.filters = {4, 8}});
    model->to(device);
    optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.01}, model->parameters());
  }

  double target = 0.9;
  std::shared_ptr<LearningRateSchedule> schedule = std::make_shared<ConstantLearningRate>(0.01);
  std::shared_ptr<const mllog::EpochLogRules> rules = mllog::training_rules();

  TrainingLoop loop() {
    TrainingLoop l;
    l.model = model.ptr();
    l.optimizer = optimizer.get();
    l.schedule = schedule.get();
    l.batches = &batches;
    l.step = [this](const at::Tensor& image, const at::Tensor& label) {
      return StepLoss{loss(model->forward(image), label)};
    };
    l.gradients.before_backward = [this](bool will_step) {
      backward_will_step.push_back(will_step);
    };
    l.evaluate = [this](int64_t epoch) {
      evaluated_epochs.push_back(epoch);
      EvalResult r;
      r.quality = qualities.at(evaluated_epochs.size() - 1);
      return r;
    };
    l.target = {[this](double q) { return q >= target; }, target, "quality"};
    l.log = &log;
    l.log_rules = rules;
    return l;
  }

  TrainOutcome fit(TrainerOptions options) {
    return SegmentationTrainer(loop(), std::move(options)).fit();
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    std::istringstream in(mllog_text.str());
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line.substr(9))["key"]);
    return out;
  }

  /// The metadata of the first event with `key` (an empty object when none).
  nlohmann::json metadata_of(const std::string& key) const {
    std::istringstream in(mllog_text.str());
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line.substr(9));
      if (j["key"] == key) return j["metadata"];
    }
    return nlohmann::json::object();
  }
};

}  // namespace

TEST_CASE("trainer evaluates on schedule and stops at the target", "[trainer]") {
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.5, 0.95};
    TrainerOptions o;
    o.max_epochs = 10;
    o.start_eval_at = 2;
    o.evaluate_every = 3;
    f.schedule = std::make_shared<EpochLrSchedule>(EpochLrScheduleOptions{
        .base_lr = 0.01, .init_lr = 0.001, .warmup_epochs = 2, .decay_epochs = {}});
    const TrainOutcome outcome = f.fit(o);
    CHECK(outcome.status == RunStatus::success);
    CHECK(outcome.epochs_run == 5);
    CHECK(outcome.last_quality == 0.95);
    CHECK(f.evaluated_epochs == std::vector<int64_t>{2, 5});
    CHECK(f.batches.epochs_started == std::vector<int64_t>{1, 2, 3, 4, 5});
    const auto keys = f.keys();
    REQUIRE(keys.size() > 4);
    CHECK(keys.front() == "run_start");
    CHECK(keys.back() == "run_stop");
    CHECK(std::count(keys.begin(), keys.end(), "block_start") == 5);
    CHECK(std::count(keys.begin(), keys.end(), "eval_accuracy") == 2);
    CHECK(f.mllog_text.str().find("\"status\":\"success\"") != std::string::npos);
    // Warm-up lr of epoch 1 was logged with epoch_stop.
    CHECK(f.mllog_text.str().find("\"current_lr\":0.0055") != std::string::npos);
    // 10 SGD steps on the device end near the CPU's weights.
    for (const auto& p : f.model->named_parameters()) {
      CHECK(p.value().device() == device);
      cpu.check(p.key(), p.value(), device);
    }
  }
}

TEST_CASE("trainer aborts on the abort rule, a NaN quality, and when epochs run out", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    {
      Fixture f(device);
      f.qualities = {0.3, 0.0};
      TrainerOptions o;
      o.max_epochs = 5;
      o.abort_rule = [](const EvalResult& r) -> std::optional<std::string> {
        if (r.quality > 0.1) return std::nullopt;
        return "diverged (test rule)";
      };
      const TrainOutcome outcome = f.fit(o);
      CHECK(outcome.status == RunStatus::aborted);
      CHECK(outcome.epochs_run == 2);
      CHECK(outcome.reason == "diverged (test rule)");
    }
    {
      Fixture f(device);
      f.qualities = {std::numeric_limits<double>::quiet_NaN()};
      TrainerOptions o;
      o.max_epochs = 5;
      const TrainOutcome outcome = f.fit(o);
      CHECK(outcome.status == RunStatus::aborted);
      CHECK(outcome.epochs_run == 1);
      CHECK_THAT(outcome.reason, Catch::Contains("diverged") && Catch::Contains("nan"));
    }
    {
      Fixture f(device);
      f.qualities = {0.1, 0.2};
      TrainerOptions o;
      o.max_epochs = 2;
      const TrainOutcome outcome = f.fit(o);
      CHECK(outcome.status == RunStatus::aborted);
      CHECK(outcome.epochs_run == 2);
      CHECK(f.mllog_text.str().find("\"status\":\"aborted\"") != std::string::npos);
    }
  }
}

TEST_CASE("a NaN loss stops the run with a TrainingError and writes no checkpoint", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.1};
    f.loss = [](const at::Tensor& logits, const at::Tensor&) {
      return logits.mean() * std::numeric_limits<double>::quiet_NaN();
    };
    TrainerOptions o;
    o.max_epochs = 3;
    o.checkpoint_path = fs::temp_directory_path() / "segbench-nan-ckpt.pt";
    fs::remove(o.checkpoint_path);
    REQUIRE_THROWS_WITH(f.fit(o),
                        Catch::Contains("non-finite training values at epoch 1 iteration 0") &&
                            Catch::Contains("loss nan") &&
                            Catch::Contains("no checkpoint was written yet"));
    CHECK_FALSE(fs::exists(o.checkpoint_path));
    CHECK(f.keys().back() == "run_stop");
    CHECK(f.mllog_text.str().find("\"status\":\"aborted\"") != std::string::npos);
  }
}

TEST_CASE("gradient accumulation steps the optimizer every ga_steps batches", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.1};
    const auto before = f.model->parameters().front().clone();
    TrainerOptions o;
    o.max_epochs = 1;
    o.ga_steps = 4;  // 2 batches per epoch: no step in the first epoch
    f.fit(o);
    CHECK(at::equal(before, f.model->parameters().front()));
    // The accumulated gradient is still there (not zeroed without a step).
    CHECK(f.model->parameters().front().grad().defined());
    CHECK(f.backward_will_step == std::vector<bool>{false, false});
  }
}

TEST_CASE("before_backward tells which backward ends an accumulation", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.1, 0.2};
    TrainerOptions o;
    o.max_epochs = 2;
    o.ga_steps = 2;
    f.fit(o);
    CHECK(f.backward_will_step == std::vector<bool>{false, true, false, true});
  }
}

TEST_CASE("--skip_nonfinite skips a non-finite step, logs it, and trains on", "[trainer]") {
  at::set_num_threads(1);
  Fixture f;
  f.qualities = {0.1, 0.2};
  int calls = 0;
  f.loss = [&calls](const at::Tensor& logits, const at::Tensor& label) {
    const at::Tensor l = at::cross_entropy_loss(logits, label.squeeze(1).to(at::kLong));
    return ++calls == 2 ? l * std::numeric_limits<double>::infinity() : l;
  };
  TrainerOptions o;
  o.max_epochs = 2;
  o.skip_nonfinite = 1;
  const TrainOutcome outcome = f.fit(o);
  CHECK(outcome.epochs_run == 2);
  CHECK(f.metadata_of("nonfinite_step_skipped").value("epoch_num", -1) == 1);
  for (const auto& p : f.model->parameters()) CHECK(at::isfinite(p).all().item<bool>());
}

namespace {
std::vector<at::Tensor> cloned(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> out;
  for (const auto& t : tensors) out.push_back(t.detach().clone());
  return out;
}
}  // namespace

TEST_CASE(
    "a stop request ends the run at the next iteration, and the resumed run is bitwise "
    "the uninterrupted one",
    "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    // The uninterrupted run.
    Fixture whole(device);
    whole.qualities = {0.1, 0.2, 0.3, 0.4};
    TrainerOptions w;
    w.max_epochs = 4;
    whole.fit(w);
    const auto expected = cloned(whole.model->parameters());

    Fixture f(device);
    f.qualities = {0.1, 0.2, 0.3};
    int polls = 0;
    TrainerOptions o;
    o.max_epochs = 4;
    const test::ScratchDir dir("trainer-stop");
    o.checkpoint_path = dir.path() / "stop.sbck";
    // Polled after each of the 2 steps of an epoch and at its end: the 4th poll is after the
    // first step of epoch 2, and the request stays (as a signal's flag does).
    o.stop_requested = [&polls] { return ++polls >= 4; };
    const TrainOutcome outcome = f.fit(o);
    CHECK(outcome.stopped_by_signal);
    CHECK(outcome.epochs_run == 1);
    CHECK_THAT(outcome.reason, Catch::Contains("stop requested (signal); continue with --resume " +
                                               o.checkpoint_path.string()));
    CHECK(outcome.checkpoint == o.checkpoint_path.string());
    // The run is not over: no run_stop, so that its resumption can continue the same log.
    const std::vector<std::string> first_keys = f.keys();
    CHECK(std::count(first_keys.begin(), first_keys.end(), "run_stop") == 0);

    // The resumed run starts epoch 2 at its second batch, marks where it picks up, and ends.
    Fixture resumed(device);
    resumed.qualities = {0.2, 0.3, 0.4};
    TrainerOptions r = w;
    r.resume_from = o.checkpoint_path;
    r.checkpoint_path = o.checkpoint_path;
    const TrainOutcome second = resumed.fit(r);
    CHECK_FALSE(second.stopped_by_signal);
    CHECK(second.epochs_run == 4);
    CHECK(resumed.batches.epochs_started == std::vector<int64_t>{2, 3, 4});
    const std::vector<std::string> keys = resumed.keys();
    const auto marker = std::find(keys.begin(), keys.end(), "run_resumed");
    REQUIRE(marker != keys.end());
    CHECK(*std::prev(marker) == "run_start");
    CHECK(resumed.metadata_of("run_resumed").value("epoch_num", -1) == 1);
    CHECK(resumed.metadata_of("run_resumed").value("iteration_num", -1) == 3);
    CHECK(keys.back() == "run_stop");
    CHECK(resumed.evaluated_epochs == std::vector<int64_t>{2, 3, 4});
    // The checkpoint was read onto the model's device, and training went on bitwise.
    CHECK(resumed.model->parameters().front().device() == device);
    const auto got = resumed.model->parameters();
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(at::equal(got[i], expected[i]));

    // The run is over: resuming it again changes nothing.
    std::ifstream before_file(o.checkpoint_path, std::ios::binary);
    const std::string before((std::istreambuf_iterator<char>(before_file)), {});
    Fixture again(device);
    CHECK_THROWS_WITH(again.fit(r), Catch::Contains("is of a run that trained 4 epochs: nothing "
                                                    "left to train, nothing changed"));
    std::ifstream after_file(o.checkpoint_path, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(after_file)), {});
    CHECK(before == after);
  }
}

TEST_CASE("a checkpoint of another seed, rank count or configuration is refused", "[trainer]") {
  at::set_num_threads(1);
  const test::ScratchDir dir("trainer-mismatch");
  Fixture f;
  f.qualities = {0.1, 0.2};
  TrainerOptions o;
  o.max_epochs = 1;
  o.seed = 5;
  o.run_config = {{"batch_size", 2}, {"epochs", 1}};
  o.checkpoint_path = dir.path() / "ckpts/";
  o.checkpoint_every = 1;
  o.stop_requested = [] { return true; };
  f.fit(o);
  TrainerOptions r = o;
  r.max_epochs = 3;
  r.resume_from = o.checkpoint_path;
  r.stop_requested = nullptr;
  {
    Fixture g;
    TrainerOptions seed = r;
    seed.seed = 6;
    CHECK_THROWS_WITH(g.fit(seed), Catch::Contains("seed 5, this run has seed 6"));
  }
  {
    Fixture g;
    TrainerOptions ranks = r;
    ranks.world_size = 2;
    CHECK_THROWS_WITH(g.fit(ranks), Catch::Contains("on 1 ranks, this run has 2"));
  }
  {
    Fixture g;
    TrainerOptions config = r;
    config.run_config["batch_size"] = 4;
    CHECK_THROWS_WITH(g.fit(config), Catch::Contains("another configuration: batch_size 2 → 4"));
  }
}

TEST_CASE("ranks that resume from different checkpoints, or fail to resume, stop before training",
          "[trainer]") {
  at::set_num_threads(1);
  const test::ScratchDir dir("trainer-resume-ranks");
  Fixture f;
  f.qualities = {0.1, 0.2};
  TrainerOptions o;
  o.max_epochs = 1;
  o.seed = 5;
  o.checkpoint_path = dir.path() / "ckpts/";
  o.stop_requested = [] { return true; };  // a checkpoint after the first step
  f.fit(o);
  TrainerOptions r = o;
  r.max_epochs = 2;
  r.resume_from = o.checkpoint_path;
  r.stop_requested = nullptr;
  // A world of two in which "rank 1" answers with `other(mine)`.
  using Row = std::vector<std::int64_t>;
  const auto with_rank1 = [&](std::function<Row(const Row&)> other, Row* seen = nullptr) {
    TrainerOptions options = r;
    options.gather_from_ranks = [other, seen](const Row& mine) {
      if (seen) *seen = mine;
      return std::vector<Row>{mine, other(mine)};
    };
    return options;
  };
  // This rank's row (a refused resume leaves the checkpoints as they are).
  Row mine;
  {
    Fixture g;
    CHECK_THROWS(g.fit(with_rank1([](const Row&) { return Row{-1, 0, 0, 0}; }, &mine)));
    REQUIRE(mine.size() == 4);
    CHECK(mine[0] == 1);
  }
  const std::string ours = checkpoint_file_name(mine[1], mine[2]);
  {
    Fixture g;
    CHECK_THROWS_WITH(
        g.fit(with_rank1([](const Row& m) {
          return Row{1, m[1] + 1, 0, m[3] + 1};
        })),
        Catch::Contains("ranks resume from different checkpoints: rank 0 resumes from " + ours) &&
            Catch::Contains("rank 1 from " + checkpoint_file_name(mine[1] + 1, 0)) &&
            Catch::Contains("nothing was trained"));
    const std::vector<std::string> keys = g.keys();
    CHECK(std::count(keys.begin(), keys.end(), "run_start") == 0);
  }
  {
    Fixture g;
    CHECK_THROWS_WITH(
        g.fit(with_rank1([](const Row& m) {
          return Row{1, m[1], m[2], m[3] + 1};
        })),
        Catch::Contains("rank 1 from " + ours) && Catch::Contains("with other contents"));
  }
  {
    Fixture g;
    CHECK_THROWS_WITH(g.fit(with_rank1([](const Row&) {
      return Row{-1, 0, 0, 0};
    })),
                      Catch::Contains("rank 1 could not resume (see its message)"));
  }
  {
    // The same checkpoint on both: the run trains on.
    Fixture g;
    g.qualities = {0.1, 0.2};
    CHECK_NOTHROW(g.fit(with_rank1([](const Row& m) { return m; })));
    const std::vector<std::string> keys = g.keys();
    CHECK(std::count(keys.begin(), keys.end(), "run_stop") == 1);
  }
}

TEST_CASE("a stop request without a checkpoint path says that nothing was saved", "[trainer]") {
  at::set_num_threads(1);
  Fixture f;
  f.qualities = {0.1, 0.2};
  TrainerOptions o;
  o.max_epochs = 10;
  o.stop_requested = [] { return true; };
  const TrainOutcome outcome = f.fit(o);
  CHECK(outcome.epochs_run == 0);  // stopped after the first step
  CHECK(outcome.stopped_by_signal);
  CHECK(outcome.reason == "stop requested (signal); nothing saved: no checkpoint path");
}

namespace {
// Records what the trainer asks; the rate grows with the optimizer step.
struct RecordingSchedule final : LearningRateSchedule {
  double lr(int64_t epoch, int64_t step) const override {
    asked.emplace_back(epoch, step);
    return 0.001 * static_cast<double>(step + 1);
  }
  void observe(double quality, double) override { observed.push_back(quality); }
  mutable std::vector<std::pair<int64_t, int64_t>> asked;
  std::vector<double> observed;
};
}  // namespace

TEST_CASE("the schedule object sets the rate of every optimizer step and sees every evaluation",
          "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.1, 0.2, 0.3};
    auto schedule = std::make_shared<RecordingSchedule>();
    f.schedule = schedule;
    TrainerOptions o;
    o.max_epochs = 3;
    f.fit(o);
    // 2 batches per epoch, 3 epochs: steps 0..5, continuing across epochs, each asked with the
    // epoch it belongs to (the rate is also set at each epoch's start).
    const std::vector<std::pair<int64_t, int64_t>> expected = {
        {1, 0}, {1, 0}, {1, 1}, {2, 2}, {2, 2}, {2, 3}, {3, 4}, {3, 4}, {3, 5}};
    CHECK(schedule->asked == expected);
    CHECK(learning_rate(*f.optimizer) == Approx(0.006));
    CHECK(schedule->observed == std::vector<double>{0.1, 0.2, 0.3});
  }
}

TEST_CASE("HPC log flavour: step_num, train metrics, eval_loss, epoch_stop after eval",
          "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.5, 0.85};
    int end_of_epoch_calls = 0;
    TrainerOptions o;
    o.max_epochs = 5;
    f.target = 0.82;
    f.rules = mllog::hpc_rules();
    TrainingLoop loop = f.loop();
    loop.step = [&](const at::Tensor& image, const at::Tensor& label) {
      return StepLoss{f.loss(f.model->forward(image), label), 0.25};
    };
    loop.end_of_epoch = [&] { ++end_of_epoch_calls; };
    int evaluations = 0;
    loop.evaluate = [&](int64_t) {
      EvalResult r;
      r.quality = f.qualities.at(static_cast<std::size_t>(evaluations++));
      r.loss = 0.5;
      return r;
    };
    const TrainOutcome outcome = SegmentationTrainer(std::move(loop), o).fit();
    CHECK(outcome.status == RunStatus::success);
    CHECK(end_of_epoch_calls == 2);
    const auto keys = f.keys();
    CHECK(std::count(keys.begin(), keys.end(), "block_start") == 0);
    const std::vector<std::string> expected = {"epoch_start", "learning_rate", "train_accuracy",
                                               "train_loss",  "eval_start",    "eval_accuracy",
                                               "eval_loss",   "eval_stop",     "epoch_stop"};
    REQUIRE(keys.size() > expected.size());
    CHECK(std::vector<std::string>(keys.begin() + 1, keys.begin() + 1 + expected.size()) ==
          expected);
    CHECK(std::count(keys.begin(), keys.end(), "target_accuracy_reached") == 1);
    const std::string text = f.mllog_text.str();
    // Epoch 2 starts after the 2 optimizer steps of epoch 1.
    CHECK(text.find("\"epoch_num\":2,\"step_num\":2}") != std::string::npos);
    CHECK(text.find("\"key\":\"train_accuracy\",\"value\":0.25") != std::string::npos);
  }
}

TEST_CASE("HPC log flavour: iterations as step_num, every-N logging, rank averages, staging",
          "[trainer]") {
  at::set_num_threads(1);
  Fixture f;
  f.qualities = {0.1, 0.2};
  f.rules = mllog::hpc_rules();
  TrainerOptions o;
  o.max_epochs = 2;
  o.ga_steps = 2;              // 2 batches per epoch: one optimizer step per epoch
  o.log_every_iterations = 1;  // --logging_frequency 1
  int staged = 0;
  o.stage = [&] {
    ++staged;
    return nlohmann::json{{"staged_files", 7}};
  };
  TrainingLoop loop = f.loop();
  loop.step = [&](const at::Tensor& image, const at::Tensor& label) {
    return StepLoss{f.loss(f.model->forward(image), label), 0.25};
  };
  // A stand-in for the mean over ranks that shows whether a logged value went through it.
  loop.average_over_ranks = [](double v) { return v + 1000.0; };
  SegmentationTrainer(std::move(loop), o).fit();
  CHECK(staged == 1);
  const auto keys = f.keys();
  REQUIRE(keys.size() > 3);
  CHECK(keys[0] == "run_start");
  CHECK(keys[1] == "staging_start");
  CHECK(keys[2] == "staging_stop");
  CHECK(keys[3] == "epoch_start");
  // Per epoch: one train_loss per iteration (2) plus the epoch-end one, as the reference logs.
  CHECK(std::count(keys.begin(), keys.end(), "train_loss") == 6);
  CHECK(std::count(keys.begin(), keys.end(), "train_accuracy") == 6);
  CHECK(std::count(keys.begin(), keys.end(), "learning_rate") == 6);
  std::istringstream in(f.mllog_text.str());
  std::string line;
  int train_lines = 0;
  while (std::getline(in, line)) {
    const auto event = nlohmann::json::parse(line.substr(9));
    const std::string key = event["key"];
    if (key == "staging_stop") CHECK(event["metadata"]["staged_files"] == 7);
    if (key == "train_loss" || key == "train_accuracy") {
      ++train_lines;
      CHECK(event["value"].get<double>() > 1000.0);  // averaged over ranks, not rank 0's own
    }
    // step_num counts iterations (2 per epoch), not optimizer steps (1 per epoch).
    if (key == "epoch_stop") {
      const int64_t epoch = event["metadata"]["epoch_num"];
      CHECK(event["metadata"]["step_num"] == 2 * epoch);
    }
  }
  CHECK(train_lines == 12);
  CHECK(f.mllog_text.str().find("\"epoch_num\":1,\"step_num\":1}") != std::string::npos);
}

TEST_CASE("early stopping: patience evaluations without improvement, not before min_epochs",
          "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    Fixture f(device);
    f.qualities = {0.5, 0.4, 0.45, 0.5, 0.3, 0.2};
    TrainerOptions o;
    o.max_epochs = 6;
    o.early_stop_patience = 2;
    o.min_epochs = 4;
    const TrainOutcome outcome = f.fit(o);
    // After epoch 3 two evaluations have not improved on 0.5, but min_epochs is 4.
    CHECK(outcome.epochs_run == 4);
    CHECK(outcome.status == RunStatus::aborted);
    CHECK_THAT(outcome.reason, Catch::Contains("early stopping") && Catch::Contains("0.5000"));
  }
}
