// train(): the concept-checked entry point over a dataset, loss, target and context defined
// here (as a research code would), the sharded evaluation, and the stop rule of the target.
#include "catch_torch.hpp"

#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <sstream>

#include "segbench/dist/single_process.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/train/train.hpp"
#include "support/test_devices.hpp"

using namespace segbench;
using segbench::test::CpuResults;
using segbench::test::test_devices;

namespace {

// Eight 1×4×4×4 volumes whose label is "image > 0".
struct SignDataset {
  std::size_t size() const { return 8; }
  Sample get(std::size_t i) const {
    torch::manual_seed(static_cast<uint64_t>(i));
    at::Tensor image = at::randn({1, 4, 4, 4});
    return {image, (image > 0).to(at::kByte), case_id(i)};
  }
  std::string case_id(std::size_t i) const { return "case" + std::to_string(i); }
};

struct PixelNetImpl : torch::nn::Module {
  PixelNetImpl() : conv(register_module("conv", torch::nn::Conv3d(1, 2, 1))) {}
  at::Tensor forward(const at::Tensor& x) { return conv->forward(x); }
  torch::nn::Conv3d conv;
};
TORCH_MODULE(PixelNet);

// Pixel accuracy; reached() only on the evaluation number `stop_at`, to show that the target
// alone decides when the run stops.
struct CountingTarget {
  void update(const std::vector<double>& scores) {
    sum += scores.at(0);
    ++cases;
  }
  template <DistributedContext C>
  double aggregate(C& ctx) {
    ++aggregations;
    return ctx.allreduce_sum(sum) / ctx.allreduce_sum(static_cast<double>(cases));
  }
  void reset() { sum = 0.0, cases = 0; }
  bool reached(double) const { return aggregations == stop_at; }
  double target() const { return 0.5; }
  std::string name() const { return "accuracy"; }
  std::vector<double> class_scores() const { return {sum}; }
  double sum = 0.0;
  int cases = 0;
  int aggregations = 0;
  int stop_at = 3;
};

TrainingPlan make_plan(PixelNet& net, torch::optim::Optimizer& optimizer, mllog::Logger& log) {
  TrainingPlan plan;
  plan.device = net->conv->weight.device();  // batches and validation cases go to the model
  plan.optimizer = &optimizer;
  plan.schedule = std::make_shared<ConstantLearningRate>(0.05);
  plan.batching = {.batch_size = 2};
  plan.score_case = [net](const Sample& s) mutable {
    const at::Tensor prediction = net->forward(s.image.unsqueeze(0)).argmax(1);
    const double accuracy =
        prediction.eq(s.label.to(at::kLong)).to(at::kDouble).mean().item<double>();
    return CaseScore{{accuracy}, 1.0 - accuracy};
  };
  plan.log = &log;
  plan.log_rules = mllog::training_rules();
  plan.options.max_epochs = 10;
  plan.options.seed = 5;
  return plan;
}

at::Tensor pixel_ce(const at::Tensor& logits, const at::Tensor& label) {
  return at::cross_entropy_loss(logits, label.squeeze(1).to(at::kLong));
}

}  // namespace

TEST_CASE("train() runs a research code's own types until its target says stop", "[trainer]") {
  CpuResults cpu;
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    torch::manual_seed(0);
    PixelNet net;
    net->to(device);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(0.05));
    std::ostringstream text;
    mllog::Logger log(text);
    SignDataset data;
    CountingTarget target;
    SingleProcessContext ctx;
    const at::Tensor before = net->conv->weight.clone();
    const TrainOutcome outcome =
        train(net, data, data, pixel_ce, target, ctx, make_plan(net, adam, log));
    CHECK(outcome.status == RunStatus::success);
    CHECK(outcome.epochs_run == 3);
    CHECK(target.aggregations == 3);
    CHECK(target.cases == 8);                   // every validation case scored once per evaluation
    CHECK(outcome.samples_trained == 3 * 8.0);  // 4 batches of 2 per epoch
    CHECK_FALSE(at::equal(before, net->conv->weight));
    CHECK(outcome.last_quality > 0.0);
    CHECK(text.str().find("\"key\":\"run_stop\"") != std::string::npos);
    CHECK(text.str().find("\"key\":\"block_start\"") != std::string::npos);  // training rules
    // 12 Adam steps on the device end near the CPU's weights.
    CHECK(net->conv->weight.device() == device);
    cpu.check("weight", net->conv->weight, device);
    cpu.check("bias", net->conv->bias, device);
  }
}

TEST_CASE("train() uses the plan's training_step instead of forward + loss", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    at::set_num_threads(1);
    torch::manual_seed(0);
    PixelNet net;
    net->to(device);
    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(0.05));
    mllog::Logger log;
    SignDataset data;
    CountingTarget target;
    target.stop_at = 1;
    SingleProcessContext ctx;
    TrainingPlan plan = make_plan(net, adam, log);
    int steps = 0;
    plan.training_step = [&](const at::Tensor& image, const at::Tensor& label) {
      ++steps;
      return StepLoss{pixel_ce(net->forward(image), label)};
    };
    const auto unused_loss = [](const at::Tensor&, const at::Tensor&) -> at::Tensor {
      throw std::logic_error("the loss must not be called when training_step is set");
    };
    const TrainOutcome outcome = train(net, data, data, unused_loss, target, ctx, std::move(plan));
    CHECK(outcome.status == RunStatus::success);
    CHECK(steps == 4);
  }
}

TEST_CASE("train() refuses an incomplete plan", "[trainer]") {
  PixelNet net;
  mllog::Logger log;
  SignDataset data;
  CountingTarget target;
  SingleProcessContext ctx;
  TrainingPlan plan;  // no optimizer, schedule, score_case
  plan.log = &log;
  REQUIRE_THROWS_AS(train(net, data, data, pixel_ce, target, ctx, plan), ConfigError);
}

TEST_CASE("evaluate_sharded: shards in array_split order, loss averaged over cases", "[trainer]") {
  CHECK(contiguous_shard(10, 0, 3) == std::pair<std::size_t, std::size_t>{0, 4});
  CHECK(contiguous_shard(10, 1, 3) == std::pair<std::size_t, std::size_t>{4, 7});
  CHECK(contiguous_shard(10, 2, 3) == std::pair<std::size_t, std::size_t>{7, 10});
  CHECK(contiguous_shard(2, 2, 3) == std::pair<std::size_t, std::size_t>{2, 2});
  SignDataset data;
  CountingTarget target;
  SingleProcessContext ctx;
  int scored = 0;
  const EvalResult r = evaluate_sharded(data, target, ctx, [&](const Sample& s) {
    ++scored;
    return CaseScore{{s.case_id == "case0" ? 1.0 : 0.0}, 2.0};
  });
  CHECK(scored == 8);
  CHECK(r.cases == 8);
  CHECK(r.quality == Approx(1.0 / 8));
  CHECK(r.loss == Approx(2.0));
  CHECK(r.class_scores == std::vector<double>{1.0});
}
