#include "segbench/inference/gaussian_map.hpp"

#include <ATen/ops/empty.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "segbench/error.hpp"

namespace segbench {
namespace {

std::vector<double> gaussian_window(int64_t n, double sigma) {
  std::vector<double> window(static_cast<std::size_t>(n));
  const double centre = (static_cast<double>(n) - 1.0) / 2.0;
  for (int64_t i = 0; i < n; ++i) {
    const double offset = static_cast<double>(i) - centre;
    window[static_cast<std::size_t>(i)] = std::exp(-(offset * offset) / (2.0 * sigma * sigma));
  }
  return window;
}

}  // namespace

at::Tensor gaussian_importance_map(std::array<int64_t, 3> roi, double sigma_scale) {
  SEGBENCH_CHECK(roi[0] > 0 && roi[1] > 0 && roi[2] > 0 && sigma_scale > 0.0, ConfigError,
                 "gaussian_importance_map: expected a positive ROI and sigma scale, found "
                 "[{}, {}, {}] and {}",
                 roi[0], roi[1], roi[2], sigma_scale);
  const std::vector<double> g0 = gaussian_window(roi[0], sigma_scale * static_cast<double>(roi[0]));
  const std::vector<double> g1 = gaussian_window(roi[1], sigma_scale * static_cast<double>(roi[1]));
  const std::vector<double> g2 = gaussian_window(roi[2], sigma_scale * static_cast<double>(roi[2]));

  at::Tensor map = at::empty({roi[0], roi[1], roi[2]}, at::dtype(at::kDouble));
  double* out = map.data_ptr<double>();
  double peak = 0.0;
  for (const double a : g0) {
    for (const double b : g1) {
      const double ab = a * b;
      for (const double c : g2) {
        const double value = std::cbrt(ab * c);
        peak = std::max(peak, value);
        *out++ = value;
      }
    }
  }
  return map.div_(peak);
}

}  // namespace segbench
