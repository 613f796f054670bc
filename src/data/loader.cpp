#include "segbench/data/loader.hpp"
#include "segbench/detail/shape_text.hpp"

#include "segbench/error.hpp"

#include <ATen/ops/stack.h>
#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace segbench {

namespace {

std::string shape_of(const at::Tensor& t) {
  return t.defined() ? detail::shape_text(t.sizes()) : "undefined";
}

}  // namespace

Batch stack_samples(const std::vector<Sample>& samples) {
  SEGBENCH_CHECK(!samples.empty(), DataError, "stack_samples: no samples to batch");
  Batch batch;
  std::vector<at::Tensor> images;
  std::vector<at::Tensor> labels;
  const Sample& first = samples.front();
  for (const Sample& s : samples) {
    SEGBENCH_CHECK(s.image.defined() && s.label.defined() &&
                       s.image.sizes() == first.image.sizes() &&
                       s.label.sizes() == first.label.sizes(),
                   DataError, "cannot batch {} (image {}, label {}) with {} (image {}, label {})",
                   first.case_id, shape_of(first.image), shape_of(first.label), s.case_id,
                   shape_of(s.image), shape_of(s.label));
    images.push_back(s.image);
    labels.push_back(s.label);
    batch.case_ids.push_back(s.case_id);
  }
  batch.image_NCDHW = at::stack(images);
  batch.label_N1DHW = at::stack(labels);
  return batch;
}

namespace detail {

struct LoaderEngine::State {
  struct Result {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };

  State(GetFn get_fn, CaseIdFn case_id_fn, EpochSampler epoch_sampler, std::size_t batch,
        TransformFn transform_fn, std::uint64_t base_seed, int workers_count, std::size_t prefetch)
      : get(std::move(get_fn)),
        case_id(std::move(case_id_fn)),
        sampler(std::move(epoch_sampler)),
        batch_size(batch),
        transform(std::move(transform_fn)),
        seed(base_seed),
        num_workers(workers_count),
        prefetch_batches(prefetch) {}

  GetFn get;
  CaseIdFn case_id;
  EpochSampler sampler;
  std::size_t batch_size;
  TransformFn transform;
  std::uint64_t seed;
  int num_workers;
  std::size_t prefetch_batches;

  // Fixed while workers run (set by start_epoch before they start).
  bool started = false;
  std::int64_t epoch = 0;
  std::vector<std::size_t> indices;
  std::size_t num_batches = 0;

  std::mutex mutex;
  std::condition_variable batch_ready;
  std::condition_variable slot_free;
  std::size_t next_claim = 0;    // next batch a worker may take
  std::size_t next_deliver = 0;  // next batch next() returns
  bool stopping = false;
  std::map<std::size_t, Result> ready;
  std::vector<std::thread> workers;

  Sample load_sample(std::size_t position) const {
    const std::size_t index = indices[position];
    try {
      Rng rng(derive_seed({seed, static_cast<std::uint64_t>(sampler.rank()),
                           static_cast<std::uint64_t>(epoch), position}));
      Sample sample = get(index);
      return transform ? transform(std::move(sample), rng) : sample;
    } catch (const c10::Error& e) {
      throw DataError(fmt::format("loading {} (dataset index {}, epoch {}): {}", case_id(index),
                                  index, epoch, e.what_without_backtrace()));
    } catch (const std::exception& e) {
      throw DataError(fmt::format("loading {} (dataset index {}, epoch {}): {}", case_id(index),
                                  index, epoch, e.what()));
    }
  }

  Batch load_batch(std::size_t batch_index) const {
    const std::size_t begin = batch_index * batch_size;
    const std::size_t end = std::min(begin + batch_size, indices.size());
    std::vector<Sample> samples;
    samples.reserve(end - begin);
    for (std::size_t position = begin; position < end; ++position)
      samples.push_back(load_sample(position));
    return stack_samples(samples);
  }

  void work() {
    for (;;) {
      std::size_t batch_index = 0;
      {
        std::unique_lock lock(mutex);
        slot_free.wait(lock, [&] {
          return stopping || next_claim >= num_batches ||
                 next_claim < next_deliver + prefetch_batches;
        });
        if (stopping || next_claim >= num_batches) return;
        batch_index = next_claim++;
      }
      Result result;
      try {
        result.batch = load_batch(batch_index);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        ready.emplace(batch_index, std::move(result));
      }
      batch_ready.notify_all();
    }
  }

  void stop_workers() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    slot_free.notify_all();
    for (auto& worker : workers) worker.join();
    workers.clear();
    stopping = false;
    ready.clear();
  }
};

LoaderEngine::LoaderEngine(GetFn get, CaseIdFn case_id, std::size_t dataset_size,
                           EpochSampler sampler, std::size_t batch_size, TransformFn transform,
                           std::uint64_t seed, int num_workers, std::size_t prefetch_batches)
    : state_(std::make_unique<State>(std::move(get), std::move(case_id), std::move(sampler),
                                     batch_size, std::move(transform), seed, num_workers,
                                     prefetch_batches)) {
  const EpochSampler& s = state_->sampler;
  SEGBENCH_CHECK(s.dataset_size() == dataset_size, ConfigError,
                 "PrefetchLoader: sampler covers {} samples but the dataset has {}",
                 s.dataset_size(), dataset_size);
  SEGBENCH_CHECK(s.batch_size() == batch_size, ConfigError,
                 "PrefetchLoader: batch_size {} differs from the sampler's batch_size {}",
                 batch_size, s.batch_size());
  SEGBENCH_CHECK(num_workers >= 0, ConfigError, "PrefetchLoader: num_workers must be >= 0, got {}",
                 num_workers);
  SEGBENCH_CHECK(prefetch_batches >= 1, ConfigError,
                 "PrefetchLoader: prefetch_batches must be >= 1, got {}", prefetch_batches);
}

LoaderEngine::~LoaderEngine() {
  state_->stop_workers();
}

std::size_t LoaderEngine::batches_per_epoch() const {
  return state_->sampler.batches_per_epoch();
}

void LoaderEngine::start_epoch(std::int64_t epoch, std::size_t first_batch) {
  State& s = *state_;
  s.stop_workers();
  s.started = true;
  s.epoch = epoch;
  s.indices = s.sampler.indices(epoch);
  s.num_batches = (s.indices.size() + s.batch_size - 1) / s.batch_size;
  SEGBENCH_CHECK(first_batch <= s.num_batches, ConfigError,
                 "loader: cannot start epoch {} at batch {}: it has {} batches", epoch, first_batch,
                 s.num_batches);
  s.next_claim = first_batch;
  s.next_deliver = first_batch;
  for (int w = 0; w < s.num_workers; ++w) s.workers.emplace_back([&s] { s.work(); });
}

std::optional<Batch> LoaderEngine::next() {
  State& s = *state_;
  SEGBENCH_CHECK(s.started, ConfigError, "PrefetchLoader::next() called before start_epoch()");
  if (s.num_workers == 0) {
    if (s.next_deliver >= s.num_batches) return std::nullopt;
    return s.load_batch(s.next_deliver++);
  }
  std::unique_lock lock(s.mutex);
  if (s.next_deliver >= s.num_batches) return std::nullopt;
  s.batch_ready.wait(lock, [&] { return s.ready.contains(s.next_deliver); });
  auto node = s.ready.extract(s.next_deliver);
  ++s.next_deliver;
  lock.unlock();
  s.slot_free.notify_all();
  if (node.mapped().error) std::rethrow_exception(node.mapped().error);
  return std::move(node.mapped().batch);
}

}  // namespace detail
}  // namespace segbench
