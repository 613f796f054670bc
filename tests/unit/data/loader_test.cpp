#include "segbench/data/loader.hpp"

#include "segbench/error.hpp"
#include "segbench/transforms/intensity.hpp"
#include "segbench/transforms/spatial.hpp"

#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

using namespace segbench;

namespace {

/// Case i: image filled with i (with a foreground cube), optionally failing or slow.
struct SyntheticDataset {
  std::size_t count = 12;
  std::int64_t failing_index = -1;
  std::chrono::milliseconds delay{0};
  mutable std::atomic<int> loads{0};

  std::size_t size() const { return count; }
  std::string case_id(std::size_t i) const { return fmt::format("case_{:05d}", i); }
  Sample get(std::size_t i) const {
    ++loads;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (static_cast<std::int64_t>(i) == failing_index) throw DataError("synthetic read failure");
    at::Tensor label = at::zeros({1, 6, 6, 6}, at::kByte);
    label.index_put_({0, at::indexing::Slice(1, 3), at::indexing::Slice(2, 4), 4}, 1);
    return {at::full({1, 6, 6, 6}, static_cast<float>(i)), label, case_id(i)};
  }
};
static_assert(Dataset<SyntheticDataset>);

TransformFn random_pipeline() {
  return Compose(RandBalancedCrop{{4, 4, 4}, 0.5}, RandFlip{}, RandGaussianNoise{.p = 1.0});
}

std::vector<Batch> drain(PrefetchLoader<SyntheticDataset>& loader) {
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

}  // namespace

TEST_CASE("PrefetchLoader: identical batches for 0, 1 and 3 workers", "[data]") {
  at::set_num_threads(1);
  const SyntheticDataset dataset;
  std::vector<std::vector<Batch>> runs;
  for (const int workers : {0, 1, 3}) {
    PrefetchLoader loader(dataset, EpochSampler(12, 5, 0, 1, true, true, 3), 3, random_pipeline(),
                          77, workers, 2);
    REQUIRE(loader.batches_per_epoch() == 4);
    loader.start_epoch(2);
    runs.push_back(drain(loader));
  }
  for (const auto& run : runs) {
    REQUIRE(run.size() == 4);
    for (std::size_t b = 0; b < 4; ++b) {
      REQUIRE(run[b].image_NCDHW.sizes() == at::IntArrayRef{3, 1, 4, 4, 4});
      REQUIRE(run[b].label_N1DHW.sizes() == at::IntArrayRef{3, 1, 4, 4, 4});
      REQUIRE(run[b].label_N1DHW.scalar_type() == at::kByte);
      REQUIRE(run[b].case_ids == runs[0][b].case_ids);
      REQUIRE(at::equal(run[b].image_NCDHW, runs[0][b].image_NCDHW));
      REQUIRE(at::equal(run[b].label_N1DHW, runs[0][b].label_N1DHW));
    }
  }
}

TEST_CASE("PrefetchLoader: every index once per epoch, in sampler order, new order per epoch",
          "[data]") {
  const SyntheticDataset dataset;
  const EpochSampler sampler(12, 9, 0, 1, true, true, 2);
  PrefetchLoader loader(dataset, sampler, 2, nullptr, 1, 3);
  std::vector<std::vector<std::size_t>> orders;
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    loader.start_epoch(epoch);
    std::vector<std::size_t> order;
    for (const Batch& batch : drain(loader))
      for (std::int64_t n = 0; n < batch.image_NCDHW.size(0); ++n) {
        const auto index = static_cast<std::size_t>(batch.image_NCDHW[n][0][0][0][0].item<float>());
        REQUIRE(batch.case_ids[n] == dataset.case_id(index));
        order.push_back(index);
      }
    REQUIRE(order == sampler.indices(epoch));
    REQUIRE(std::set<std::size_t>(order.begin(), order.end()).size() == 12);
    REQUIRE_FALSE(loader.next().has_value());  // stays at the end
    orders.push_back(order);
  }
  REQUIRE(orders[0] != orders[1]);
  REQUIRE(orders[1] != orders[2]);
}

TEST_CASE("PrefetchLoader: a failing sample is rethrown from next() naming the case", "[data]") {
  SyntheticDataset dataset;
  dataset.failing_index = 5;
  for (const int workers : {0, 2}) {
    PrefetchLoader loader(dataset, EpochSampler(12, 3, 0, 1, false, true, 2), 2, nullptr, 1,
                          workers);
    loader.start_epoch(0);
    REQUIRE(loader.next().has_value());                   // 0, 1
    REQUIRE(loader.next().has_value());                   // 2, 3
    REQUIRE_THROWS_AS(loader.next(), DataError);          // 4, 5
    REQUIRE(loader.next()->case_ids[0] == "case_00006");  // goes on with 6, 7
  }
  PrefetchLoader loader(dataset, EpochSampler(12, 3, 0, 1, false, true, 2), 2, nullptr, 1, 2);
  loader.start_epoch(4);
  loader.next();
  loader.next();
  REQUIRE_THROWS_WITH(loader.next(), Catch::Contains("loading case_00005") &&
                                         Catch::Contains("epoch 4") &&
                                         Catch::Contains("synthetic read failure"));
}

TEST_CASE("PrefetchLoader: transform errors carry the case; bad setup is a ConfigError", "[data]") {
  const SyntheticDataset dataset;
  PrefetchLoader loader(dataset, EpochSampler(12, 3, 0, 1, true, true, 1), 1,
                        Compose(RandBalancedCrop{{7, 7, 7}, 0.4}), 1, 1);
  loader.start_epoch(0);
  REQUIRE_THROWS_WITH(loader.next(), Catch::Contains("transform RandBalancedCrop on case_"));

  REQUIRE_THROWS_AS(
      PrefetchLoader(dataset, EpochSampler(12, 3, 0, 1, true, true, 2), 3, nullptr, 1, 1),
      ConfigError);
  REQUIRE_THROWS_WITH(PrefetchLoader(dataset, EpochSampler(10, 3), 1, nullptr, 1, 1),
                      Catch::Contains("sampler covers 10 samples but the dataset has 12"));
  PrefetchLoader not_started(dataset, EpochSampler(12, 3), 1, nullptr, 1, 1);
  REQUIRE_THROWS_WITH(not_started.next(), Catch::Contains("before start_epoch"));
}

TEST_CASE("PrefetchLoader: stops early without hanging and bounds the prefetch", "[data]") {
  SyntheticDataset dataset;
  dataset.count = 40;
  dataset.delay = std::chrono::milliseconds(5);
  const auto started = std::chrono::steady_clock::now();
  {
    PrefetchLoader loader(dataset, EpochSampler(40, 1, 0, 1, true, true, 2), 2, nullptr, 1, 3, 2);
    loader.start_epoch(0);
    REQUIRE(loader.next().has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // 1 batch delivered + at most 2 in flight or waiting, 2 samples each.
    REQUIRE(dataset.loads.load() <= 6);
    loader.start_epoch(1);  // abandons epoch 0 mid-way
    REQUIRE(loader.next().has_value());
  }  // destroyed mid-epoch
  { PrefetchLoader never_started(dataset, EpochSampler(40, 1), 1, nullptr, 1, 2); }
  REQUIRE(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  REQUIRE(dataset.loads.load() < 20);
}
