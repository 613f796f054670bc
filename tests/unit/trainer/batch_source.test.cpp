// DeviceBatchSource: copy-free on the CPU; elsewhere batch k+1 staged before batch k is handed
// over and returned (its copies overlap the step on batch k), in the loader's order, with a
// staged batch dropped when an epoch is restarted. The ordering is checked with a recording
// stager on the CPU; the real side-stream stager runs on every CUDA device of test_devices()
// and must give the CPU's batches.
#include "catch_torch.hpp"

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "segbench/data/loader.hpp"
#include "segbench/train/batch_source.hpp"
#include "support/test_devices.hpp"

using namespace segbench;
using segbench::test::CpuResults;
using segbench::test::test_devices;

namespace {

// `count` batches per epoch; batch i of epoch e holds the value 100 e + i; every next() is
// recorded in `events`.
struct CountingLoader {
  int64_t count = 3;
  int64_t epoch = 0;
  int64_t served = 0;
  std::vector<std::string>* events = nullptr;

  void start_epoch(int64_t e, std::size_t = 0) {
    epoch = e;
    served = 0;
  }
  std::optional<Batch> next() {
    if (served == count) {
      events->push_back("loader end");
      return std::nullopt;
    }
    const double value = static_cast<double>(100 * epoch + served++);
    events->push_back("loader " + std::to_string(static_cast<int64_t>(value)));
    return Batch{at::full({1, 2, 2, 2, 2}, value), at::full({1, 1, 2, 2, 2}, value, at::kByte), {}};
  }
  std::size_t batches_per_epoch() const { return static_cast<std::size_t>(count); }
};

std::string value_of(const at::Tensor& t) {
  return std::to_string(static_cast<int64_t>(t.flatten()[0].item<double>()));
}

// Stages by cloning and records stage / hand-over with the batch's value.
struct RecordingStager {
  using Ticket = std::string;
  std::vector<std::string>* events = nullptr;

  StagedBatch<Ticket> stage(const at::Tensor& image, const at::Tensor& label) {
    events->push_back("stage " + value_of(image));
    return {image.clone(), label.clone(), value_of(image)};
  }
  void hand_over(StagedBatch<Ticket>& staged) { events->push_back("hand over " + staged.ready); }
};
static_assert(BatchStager<RecordingStager>);
static_assert(BatchStager<StreamStager>);

}  // namespace

TEST_CASE("DeviceBatchSource stages batch k+1 before it hands over and returns batch k",
          "[trainer]") {
  std::vector<std::string> events;
  CountingLoader loader{.count = 3, .events = &events};
  DeviceBatchSource<CountingLoader, RecordingStager> source(
      loader, c10::Device(c10::kCUDA, 0), std::in_place, RecordingStager{&events});
  source.start_epoch(0, 0);
  at::Tensor image, label;
  std::vector<std::string> returned;
  while (source.next(image, label)) {
    events.push_back("return " + value_of(image));
    CHECK(value_of(label) == value_of(image));
  }
  CHECK(events == std::vector<std::string>{"loader 0", "stage 0", "hand over 0", "loader 1",
                                           "stage 1", "return 0", "hand over 1", "loader 2",
                                           "stage 2", "return 1", "hand over 2", "loader end",
                                           "return 2", "loader end"});
}

TEST_CASE("DeviceBatchSource drops the batch staged for an epoch restarted early", "[trainer]") {
  std::vector<std::string> events;
  CountingLoader loader{.count = 3, .events = &events};
  DeviceBatchSource<CountingLoader, RecordingStager> source(
      loader, c10::Device(c10::kCUDA, 0), std::in_place, RecordingStager{&events});
  source.start_epoch(0, 0);
  at::Tensor image, label;
  REQUIRE(source.next(image, label));  // batch 0 returned, batch 1 staged
  CHECK(value_of(image) == "0");
  source.start_epoch(1, 0);
  std::vector<std::string> values;
  while (source.next(image, label)) values.push_back(value_of(image));
  CHECK(values == std::vector<std::string>{"100", "101", "102"});
}

TEST_CASE("DeviceBatchSource gives the loader's batches on every device, copy-free on the CPU",
          "[trainer]") {
  for (const bool channels_last : {false, true}) {
    CpuResults cpu;
    for (const c10::Device& device : test_devices()) {
      INFO("on " << device << (channels_last ? ", channels-last" : ""));
      std::vector<std::string> events;
      CountingLoader loader{.count = 2, .events = &events};
      DeviceBatchSource source(loader, device, channels_last);
      for (int64_t epoch : {0, 1}) {
        source.start_epoch(epoch, 0);
        at::Tensor image, label;
        int64_t k = 0;
        while (source.next(image, label)) {
          CHECK(image.device() == device);
          CHECK(label.device() == device);
          CHECK(image.is_contiguous(at::MemoryFormat::ChannelsLast3d) == channels_last);
          const std::string name = std::to_string(epoch) + "/" + std::to_string(k++);
          // Read on the consumer's stream: right only if it waited for the side-stream copies.
          cpu.check("image " + name, image * 2, device);
          cpu.check("label " + name, label, device);
        }
        CHECK(k == 2);
      }
    }
  }
}

TEST_CASE("DeviceBatchSource on the CPU returns the loader's own tensors", "[trainer]") {
  struct OneBatch {
    at::Tensor image = at::ones({1, 1, 2, 2, 2});
    bool served = false;
    void start_epoch(int64_t, std::size_t = 0) { served = false; }
    std::optional<Batch> next() {
      if (std::exchange(served, true)) return std::nullopt;
      return Batch{image, at::zeros({1, 1, 2, 2, 2}, at::kByte), {}};
    }
    std::size_t batches_per_epoch() const { return 1; }
  } loader;
  DeviceBatchSource source(loader, c10::Device(c10::kCPU));
  source.start_epoch(0, 0);
  at::Tensor image, label;
  REQUIRE(source.next(image, label));
  CHECK(image.data_ptr() == loader.image.data_ptr());
  CHECK_FALSE(source.next(image, label));
}
