// Loader throughput of CAM5 samples: Cam5Hdf5Dataset (HDF5, the reference layout) vs
// Cam5NpyDataset (cam5-convert's .npy pairs), through PrefetchLoader with 0, 1 and 2 workers,
// on synthetic files written to a temporary directory (page cache warm: one untimed epoch
// first). MB/s counts the decoded payload per sample: H*W*16 float32 + H*W labels (int32).
// Usage: cam5_loader_bench [SAMPLES HEIGHT WIDTH EPOCHS BATCH]   (default 16 128 192 3 2)
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "segbench/data/cam5_dataset.hpp"
#include "segbench/data/loader.hpp"
#include "segbench/prep/cam5_convert.hpp"
#include "segbench/prep/cam5_stats.hpp"
#include "segbench/prep/cam5_synthetic.hpp"

namespace {

namespace fs = std::filesystem;

template <class D>
double samples_per_second(const D& dataset, int workers, int epochs, std::size_t batch) {
  segbench::PrefetchLoader loader(
      dataset, segbench::EpochSampler(dataset.size(), 0, 0, 1, true, true, batch), batch,
      [](segbench::Sample s, segbench::Rng&) { return s; }, 0, workers);
  const auto run_epoch = [&](std::int64_t epoch) {
    std::size_t samples = 0;
    loader.start_epoch(epoch);
    while (auto b = loader.next()) samples += b->case_ids.size();
    return samples;
  };
  run_epoch(0);  // warm-up: page cache, allocations
  const auto start = std::chrono::steady_clock::now();
  std::size_t samples = 0;
  for (int e = 1; e <= epochs; ++e) samples += run_epoch(e);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(samples) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const auto arg = [&](int i, long fallback) { return argc > i ? std::atol(argv[i]) : fallback; };
  segbench::prep::Cam5SynthOptions options;
  options.train_samples = static_cast<int>(arg(1, 16));
  options.validation_samples = 0;
  options.height = static_cast<std::size_t>(arg(2, 128));
  options.width = static_cast<std::size_t>(arg(3, 192));
  options.event_scale = 3.0;
  const int epochs = static_cast<int>(arg(4, 3));
  const auto batch = static_cast<std::size_t>(arg(5, 2));
  at::set_num_threads(1);

  const fs::path root =
      fs::temp_directory_path() / ("segbench-cam5-loader-bench-" + std::to_string(::getpid()));
  fs::remove_all(root);
  segbench::prep::write_cam5_synthetic(root / "h5", options);
  segbench::prep::write_cam5_stats(root / "h5" / "stats.h5",
                                   segbench::prep::compute_cam5_stats(root / "h5" / "train"));
  segbench::prep::convert_cam5_directory(root / "h5", root / "npy");
  const segbench::Cam5Hdf5Dataset h5(segbench::list_cam5_samples(root / "h5" / "train"),
                                     root / "h5" / "stats.h5");
  const segbench::Cam5NpyDataset npy(segbench::list_cam5_npy_samples(root / "npy" / "train"),
                                     root / "npy" / "stats.h5");

  const double megabytes = static_cast<double>(options.height * options.width * (16 * 4 + 4)) / 1e6;
  fmt::print("CAM5 loader: {} samples of {}x{}x16, batch {}, {} timed epochs, {:.2f} MB/sample\n",
             options.train_samples, options.height, options.width, batch, epochs, megabytes);
  fmt::print("{:<8} {:>8} {:>12} {:>10}\n", "format", "workers", "samples/s", "MB/s");
  for (int workers : {0, 1, 2}) {
    const double rate_h5 = samples_per_second(h5, workers, epochs, batch);
    fmt::print("{:<8} {:>8} {:>12.1f} {:>10.1f}\n", "hdf5", workers, rate_h5, rate_h5 * megabytes);
    const double rate_npy = samples_per_second(npy, workers, epochs, batch);
    fmt::print("{:<8} {:>8} {:>12.1f} {:>10.1f}\n", "npy", workers, rate_npy, rate_npy * megabytes);
  }
  fs::remove_all(root);
  return 0;
}
