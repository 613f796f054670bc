#include "segbench/transforms/intensity.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/randn.h>

namespace segbench {

Sample Cast::operator()(Sample sample, Rng& /*rng*/) const {
  sample.image = sample.image.to(at::kFloat);
  sample.label = sample.label.to(at::kByte);
  return sample;
}

Sample RandBrightness::operator()(Sample sample, Rng& rng) const {
  if (rng.bernoulli(p)) {
    const double factor = rng.uniform(lo, hi);
    sample.image = sample.image.mul(reference_quirk ? 1.0 + factor : factor);
  }
  return sample;
}

Sample RandGaussianNoise::operator()(Sample sample, Rng& rng) const {
  if (rng.bernoulli(p)) {
    const double sigma = rng.uniform(0.0, max_std);
    at::Generator generator = at::detail::createCPUGenerator(rng.next_u64());
    const at::Tensor noise =
        at::randn(sample.image.sizes(), generator, sample.image.options().device(at::kCPU));
    sample.image = sample.image.add(noise.to(sample.image.device()), sigma);
  }
  return sample;
}

}  // namespace segbench
