#include "segbench/data/sample_cache.hpp"

#include <mutex>
#include <optional>

namespace segbench {

struct SampleCache::Slot {
  std::mutex mutex;
  std::optional<Sample> sample;
};

SampleCache::SampleCache(std::size_t size) : slots_(std::make_unique<Slot[]>(size)) {}
SampleCache::~SampleCache() = default;

Sample SampleCache::get(std::size_t i, const std::function<Sample()>& load) const {
  Slot& slot = slots_[i];
  std::lock_guard lock(slot.mutex);
  if (!slot.sample) slot.sample = load();
  return *slot.sample;
}

}  // namespace segbench
