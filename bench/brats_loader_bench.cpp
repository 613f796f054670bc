// Throughput of the nnU-Net 2-D BraTS training loader (fidelity §3.4): PrefetchLoader over
// in-memory random volumes with labels, the full augmentation pipeline (reference
// probabilities, or every op on with "all"), one volume per batch cut into slices by layout_2d,
// at 0, 1 and 2 workers. Prints volumes/s and slices/s, then the cost of each op when applied.
// Usage: brats_loader_bench [reference|demo] [default|all] [BATCHES] [TORCH_THREADS]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "segbench/data/loader.hpp"
#include "segbench/transforms/brats_train.hpp"
#include "segbench/transforms/intensity.hpp"
#include "segbench/transforms/layout_2d.hpp"

namespace {

struct InMemoryVolumes {
  std::vector<segbench::Sample> samples;
  std::size_t size() const { return samples.size(); }
  segbench::Sample get(std::size_t i) const { return samples[i]; }
  std::string case_id(std::size_t i) const { return samples[i].case_id; }
};
static_assert(segbench::Dataset<InMemoryVolumes>);

InMemoryVolumes random_volumes(int count, std::array<std::int64_t, 3> shape) {
  InMemoryVolumes volumes;
  at::manual_seed(0);
  for (int i = 0; i < count; ++i) {
    const at::Tensor image = at::randn({4, shape[0], shape[1], shape[2]});
    // 5 % foreground: classes 1, 2, 3 each with probability 1/60.
    const at::Tensor draw = at::rand({1, shape[0], shape[1], shape[2]}).mul(60).floor();
    const at::Tensor label = draw.masked_fill(draw > 3, 0);
    volumes.samples.push_back({image, label.to(at::kByte), fmt::format("BRATS_{:03d}", i + 1)});
  }
  return volumes;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string size = argc > 1 ? argv[1] : "reference";
  const bool every_op = argc > 2 && std::string(argv[2]) == "all";
  const bool reference = size == "reference";
  const int batches = argc > 3 ? std::atoi(argv[3]) : (reference ? 16 : 200);
  at::set_num_threads(argc > 4 ? std::atoi(argv[4]) : 1);

  const std::array<std::int64_t, 3> volume = reference ? std::array<std::int64_t, 3>{155, 192, 160}
                                                       : std::array<std::int64_t, 3>{40, 64, 48};
  segbench::BratsAugmentOptions options;
  options.crop = reference ? std::array<std::int64_t, 3>{64, 192, 160}
                           : std::array<std::int64_t, 3>{16, 64, 48};
  if (every_op)
    options.zoom_p = options.flip_p = options.noise_p = options.blur_p = options.brightness_p =
        options.contrast_p = 1.0;
  const InMemoryVolumes dataset = random_volumes(4, volume);
  const segbench::Compose transforms = segbench::make_brats_train_transforms(options);

  fmt::print(
      "BraTS 2-D loader: volumes (4, {}, {}, {}) -> blocks (4, {}, {}, {}), {} "
      "augmentation, {} torch thread(s), {} batches of 1 volume per setting\n",
      volume[0], volume[1], volume[2], options.crop[0], options.crop[1], options.crop[2],
      every_op ? "every op on" : "reference-probability", at::get_num_threads(), batches);
  for (const int workers : {0, 1, 2}) {
    segbench::PrefetchLoader loader(dataset, segbench::EpochSampler(dataset.size(), 1), 1,
                                    transforms, /*seed=*/1, workers);
    std::int64_t epoch = 0, slices = 0;
    auto next_batch = [&] {
      std::optional<segbench::Batch> batch = loader.next();
      while (!batch) {
        loader.start_epoch(++epoch);
        batch = loader.next();
      }
      slices += segbench::layout_2d(batch->image_NCDHW).size(0);
      segbench::layout_2d(batch->label_N1DHW);
    };
    loader.start_epoch(epoch);
    next_batch();  // warm-up: worker start, first allocations
    slices = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < batches; ++i) next_batch();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("  {} worker(s): {:7.2f} volumes/s  {:8.1f} slices/s  ({:.3f} s per volume)\n",
               workers, batches / seconds, static_cast<double>(slices) / seconds,
               seconds / batches);
  }

  // Each op alone with p = 1 on one block, mean of a few runs.
  const int repeats = reference ? 3 : 20;
  segbench::Rng rng(7);
  const segbench::Sample block =
      segbench::RandForegroundCentredCrop{options.crop, options.oversampling}(dataset.get(0), rng);
  const auto time_op = [&](const char* name, const segbench::TransformFn& op,
                           const segbench::Sample& input) {
    op(input, rng);  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) op(input, rng);
    fmt::print("    {:<26} {:8.2f} ms\n", name,
               1e3 *
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
                   repeats);
  };
  fmt::print("  per op, applied (p = 1), 1 block:\n");
  time_op("RandForegroundCentredCrop",
          segbench::RandForegroundCentredCrop{options.crop, options.oversampling}, dataset.get(0));
  time_op("RandZoom", segbench::RandZoom{1.0}, block);
  time_op("RandFlipHW", segbench::RandFlipHW{1.0}, block);
  time_op("RandGaussianNoise", segbench::RandGaussianNoise{1.0, 0.33}, block);
  time_op("RandGaussianBlur", segbench::RandGaussianBlur{1.0}, block);
  time_op("RandBrightness", segbench::RandBrightness{1.0, 0.7, 1.3, false}, block);
  time_op("RandContrast", segbench::RandContrast{1.0}, block);
  return 0;
}
