// numpy's legacy RandomState(seed) draws the reference scripts use to split data
// (np.random.seed(12345) + shuffle for DeepCAM, sklearn KFold(random_state=12345) for
// nnU-Net). Reproduced exactly so fold and split membership match. No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace segbench {

class NumpyLegacyRandom {
 public:
  /// RandomState(seed) for an integer seed: MT19937 init_genrand(seed).
  explicit NumpyLegacyRandom(std::uint32_t seed) : engine_(seed) {}

  /// Uniform integer in [0, max] by masked rejection (numpy's random_interval).
  std::uint32_t random_interval(std::uint32_t max);

  /// RandomState.shuffle on a 1-D sequence (Fisher–Yates from the back).
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i-- > 1;) {
      const std::size_t j = random_interval(static_cast<std::uint32_t>(i));
      std::swap(items[i], items[j]);
    }
  }

  /// RandomState.permutation(n).
  std::vector<std::size_t> permutation(std::size_t n);

 private:
  std::mt19937 engine_;
};

}  // namespace segbench
