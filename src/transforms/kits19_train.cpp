#include "segbench/transforms/kits19_train.hpp"

#include "segbench/transforms/intensity.hpp"
#include "segbench/transforms/spatial.hpp"

namespace segbench {

Compose make_kits19_train_transforms(std::array<std::int64_t, 3> patch, double oversampling,
                                     bool brightness_quirk) {
  return Compose(RandBalancedCrop{patch, oversampling}, RandFlip{}, Cast{},
                 RandBrightness{.reference_quirk = brightness_quirk}, RandGaussianNoise{});
}

}  // namespace segbench
