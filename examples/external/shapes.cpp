// segbench used from outside: its own Dataset (discs and squares on noise), Model (a small 2-D
// conv net) and QualityTarget (mean foreground Dice), trained by segbench::train() on one
// process or several Gloo ranks (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
// Usage: shapes [LOG_DIR]   (exit code 0: target reached, 1: not reached, 2: error)
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/core.h>
#include <torch/torch.h>

#include <segbench/log/mllog_rules.hpp>
#include <segbench/run/data_parallel_run.hpp>
#include <segbench/run/run_main.hpp>
#include <segbench/train/learning_rate_schedule.hpp>
#include <segbench/train/train.hpp>
#include <segbench/version.hpp>

#include <iostream>
#include <random>

namespace {
constexpr int64_t kSide = 32;

// segbench's layouts keep a depth axis: image float32 (1, 1, H, W), label uint8 (1, 1, H, W).
struct Shapes {
  std::size_t cases;
  std::uint64_t seed;
  std::size_t size() const { return cases; }
  std::string case_id(std::size_t i) const { return fmt::format("shape{}_{:04}", seed, i); }
  segbench::Sample get(std::size_t i) const {
    std::mt19937_64 rng(seed * 1000003 + i);  // the same case on every rank and epoch
    const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution(lo, hi)(rng); };
    const int cy = pick(9, 22), cx = pick(9, 22), r = pick(4, 8);
    const at::Tensor y = torch::arange(kSide).view({kSide, 1}) - cy, x = torch::arange(kSide) - cx;
    const at::Tensor inside =
        pick(0, 1) ? (x * x + y * y <= r * r) : (x.abs() <= r) & (y.abs() <= r);
    const at::Tensor noise = torch::randn({kSide, kSide}, at::detail::createCPUGenerator(rng()));
    return {(inside.to(torch::kFloat) + 0.7 * noise).view({1, 1, kSide, kSide}),
            inside.to(torch::kUInt8).view({1, 1, kSide, kSide}), case_id(i)};
  }
};

namespace nn = torch::nn;
struct ShapeNetImpl : nn::Module {
  nn::Sequential body{nn::Conv2d(nn::Conv2dOptions(1, 16, 3).padding(1)), nn::ReLU(),
                      nn::Conv2d(nn::Conv2dOptions(16, 16, 3).padding(1)), nn::ReLU(),
                      nn::Conv2d(16, 2, 1)};
  ShapeNetImpl() { register_module("body", body); }
  // (N, 1, 1, H, W) → logits (N, 2, 1, H, W)
  at::Tensor forward(const at::Tensor& x) { return body->forward(x.squeeze(2)).unsqueeze(2); }
};
TORCH_MODULE(ShapeNet);

struct MeanForegroundDice {
  double threshold, sum = 0.0, cases = 0.0;
  void update(const std::vector<double>& case_scores) { sum += case_scores.at(0), cases += 1; }
  template <segbench::DistributedContext C>
  double aggregate(C& ctx) {  // every case weighs the same whatever the number of ranks
    at::Tensor totals = torch::tensor({sum, cases}, torch::kFloat64);
    ctx.allreduce_sum(totals);
    return totals[0].item<double>() / std::max(1.0, totals[1].item<double>());
  }
  void reset() { sum = cases = 0.0; }
  bool reached(double value) const { return value >= threshold; }
  double target() const { return threshold; }
  std::string name() const { return "foreground_dice"; }
};

static_assert(segbench::Dataset<Shapes>);
static_assert(segbench::Model<ShapeNet>);
static_assert(segbench::QualityTarget<MeanForegroundDice>);

at::Tensor loss(const at::Tensor& logits, const at::Tensor& label) {
  return nn::functional::cross_entropy(logits, label.squeeze(1).to(torch::kLong));
}
double foreground_dice(const at::Tensor& logits, const at::Tensor& label) {
  const at::Tensor predicted = logits.argmax(1) == 1, truth = label.squeeze(1) == 1;
  const double both = (predicted & truth).sum().item<double>();
  const double total = predicted.sum().item<double>() + truth.sum().item<double>();
  return total == 0 ? 1.0 : 2.0 * both / total;
}
}  // namespace

static_assert(SEGBENCH_VERSION_MAJOR >= 0,
              "segbench/version.hpp reachable installed and as a subproject");

int main(int argc, char** argv) {
  return segbench::run_driver("shapes", [&] {
    const std::filesystem::path log_dir = argc > 1 ? argv[1] : "";
    const double lr = 3e-3, target_dice = 0.9;
    const nlohmann::json config = {{"side", kSide}, {"lr", lr}, {"target", target_dice}};
    segbench::DataParallelRun run("shapes", {.seed = 7}, config);
    ShapeNet model;
    segbench::AnyContext& ctx = run.connect();
    run.place_model(*model);
    run.open_log(log_dir.empty() ? log_dir : log_dir / "shapes.log");
    const Shapes train_set{384, 1}, validation_set{64, 2};
    MeanForegroundDice target{target_dice};
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(lr));

    segbench::TrainingPlan plan = run.make_plan();  // device, log, seed, progress, signals
    plan.optimizer = &adam;
    plan.schedule = std::make_shared<segbench::ConstantLearningRate>(lr);
    plan.batching.batch_size = 16 / ctx.world_size();  // per rank: global batch 16 on 1, 2, 4
    plan.score_case = [&](const segbench::Sample& s) {
      const at::Tensor label = s.label.unsqueeze(0), logits = model->forward(s.image.unsqueeze(0));
      return segbench::CaseScore{{foreground_dice(logits, label)},
                                 loss(logits, label).item<double>()};
    };
    plan.log_rules = segbench::mllog::training_rules();
    plan.options.max_epochs = 20;
    const segbench::TrainOutcome outcome =
        segbench::train(model, train_set, validation_set, loss, target, ctx, std::move(plan));
    return run.finish(outcome, fmt::format("foreground Dice {:.4f} (target {})",
                                           outcome.last_quality, target_dice));
  });
}
