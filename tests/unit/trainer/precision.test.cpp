// train() with a plan's Precision: forward passes under bf16 autocast (the loss in fp32), and
// channels-last batches; and DataParallelRun's resolution of --amp / --channels_last.
#include "catch_torch.hpp"

#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include "segbench/dist/single_process.hpp"
#include "segbench/log/mllog.hpp"
#include "segbench/log/mllog_rules.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/train/train.hpp"
#include "support/test_devices.hpp"

using namespace segbench;
using segbench::test::test_devices;

namespace {

// Four 2×4×4×4 volumes labelled "first channel > 0": two channels, so that the channels-last
// layout differs from the contiguous one.
struct TwoChannelDataset {
  std::size_t size() const { return 4; }
  Sample get(std::size_t i) const {
    torch::manual_seed(static_cast<uint64_t>(i));
    at::Tensor image = at::randn({2, 4, 4, 4});
    return {image, (image.narrow(0, 0, 1) > 0).to(at::kByte), case_id(i)};
  }
  std::string case_id(std::size_t i) const { return "case" + std::to_string(i); }
};

// Records what each forward pass saw and produced.
struct RecordingNetImpl : torch::nn::Module {
  RecordingNetImpl() : conv(register_module("conv", torch::nn::Conv3d(2, 2, 1))) {}
  at::Tensor forward(const at::Tensor& x) {
    inputs_channels_last.push_back(x.is_contiguous(at::MemoryFormat::ChannelsLast3d) &&
                                   !x.is_contiguous());
    at::Tensor y = conv->forward(x);
    output_types.push_back(y.scalar_type());
    return y;
  }
  torch::nn::Conv3d conv;
  std::vector<bool> inputs_channels_last;
  std::vector<at::ScalarType> output_types;
};
TORCH_MODULE(RecordingNet);

struct OneEvaluation {
  void update(const std::vector<double>& s) { sum += s.at(0); }
  template <DistributedContext C>
  double aggregate(C&) {
    return sum;
  }
  void reset() { sum = 0; }
  bool reached(double) const { return true; }
  double target() const { return 0.5; }
  std::string name() const { return "score"; }
  std::vector<double> class_scores() const { return {}; }
  double sum = 0;
};

struct Recorded {
  RecordingNet net;
  std::vector<at::ScalarType> loss_input_types;
  std::vector<at::ScalarType> eval_output_types;
};

Recorded train_with(Precision precision, c10::Device device = c10::kCPU) {
  at::set_num_threads(1);
  torch::manual_seed(0);
  Recorded r;
  RecordingNet net = r.net;
  net->to(device);
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01));
  mllog::Logger log;
  TrainingPlan plan;
  plan.precision = precision;
  plan.device = device;
  plan.optimizer = &sgd;
  plan.schedule = std::make_shared<ConstantLearningRate>(0.01);
  plan.batching = {.batch_size = 2};
  plan.score_case = [net, &r](const Sample& s) mutable {
    const at::Tensor logits = net->forward(s.image.unsqueeze(0));
    r.eval_output_types.push_back(logits.scalar_type());
    return CaseScore{{1.0}, 0.0};
  };
  plan.log = &log;
  plan.log_rules = mllog::training_rules();
  plan.options.max_epochs = 1;
  plan.options.seed = 1;
  const auto loss = [&r](const at::Tensor& logits, const at::Tensor& label) {
    r.loss_input_types.push_back(logits.scalar_type());
    return at::cross_entropy_loss(logits, label.squeeze(1).to(at::kLong));
  };
  TwoChannelDataset data;
  OneEvaluation target;
  SingleProcessContext ctx;
  train(net, data, data, loss, target, ctx, std::move(plan));
  return r;
}

}  // namespace

TEST_CASE("train() runs forward passes in fp32 and contiguous batches by default", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const Recorded r = train_with({}, device);
    REQUIRE(r.net->output_types.size() == 2 + 4);  // 2 training batches, 4 validation cases
    for (at::ScalarType t : r.net->output_types) CHECK(t == at::kFloat);
    for (bool channels_last : r.net->inputs_channels_last) CHECK_FALSE(channels_last);
  }
}

TEST_CASE("train() runs forward passes under bf16 autocast with the loss in fp32", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    Recorded r = train_with({.bf16_autocast = true}, device);
    REQUIRE(r.net->output_types.size() == 6);
    for (at::ScalarType t : r.net->output_types) CHECK(t == at::kBFloat16);  // train and eval
    REQUIRE(r.loss_input_types.size() == 2);
    for (at::ScalarType t : r.loss_input_types) CHECK(t == at::kFloat);
    CHECK(r.eval_output_types == std::vector<at::ScalarType>(4, at::kBFloat16));
    // Autocast is off again once train() returns.
    const at::Tensor after = r.net->forward(at::randn({1, 2, 4, 4, 4}, device));
    CHECK(after.scalar_type() == at::kFloat);
  }
}

TEST_CASE("train() feeds channels-last batches when the plan asks for them", "[trainer]") {
  for (const c10::Device& device : test_devices()) {
    INFO("on " << device);
    const Recorded r = train_with({.channels_last = true}, device);
    REQUIRE(r.net->inputs_channels_last.size() == 6);
    CHECK(r.net->inputs_channels_last[0]);
    CHECK(r.net->inputs_channels_last[1]);
  }
}

TEST_CASE("DataParallelRun resolves --amp and refuses --channels_last on the CPU", "[trainer]") {
  RunOptions options;
  options.device = "cpu";
  options.seed = 1;
  options.amp = "auto";
  CHECK_FALSE(DataParallelRun("t", options, {}).precision().bf16_autocast);  // auto: fp32 on CPU
  options.amp = "bf16";
  CHECK(DataParallelRun("t", options, {}).precision().bf16_autocast);
  // oneDNN's CPU convolution backward corrupts the heap on channels-last tensors.
  options.channels_last = true;
  CHECK_THROWS_WITH(DataParallelRun("t", options, {}),
                    Catch::Contains("--channels_last on the CPU (cpu): refused"));
  options.channels_last = false;
  options.amp = "fp16";
  CHECK_THROWS_WITH(DataParallelRun("t", options, {}),
                    Catch::Contains("--amp must be auto, bf16 or fp32, got 'fp16'"));
}
