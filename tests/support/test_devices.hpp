// The devices a device-looped test runs on, and how a device's result is compared with the
// CPU's. A test body is written once:
//
//   CpuResults cpu;
//   for (const c10::Device& device : test_devices()) {
//     INFO("on " << device);
//     model->to(device);
//     const at::Tensor logits = model->forward(x.to(device));
//     cpu.check("logits", logits, device);  // the CPU run records, the others compare
//   }
//
// SEGBENCH_TEST_DEVICES (a comma list of cpu, cuda, cuda:N) picks the devices; unset: the CPU,
// plus cuda:0 when CUDA is available. A device this process cannot use is an error in every
// device-looped test (never a silent CPU-only pass), so a GPU check cannot go green without
// its GPU.
#pragma once

#include "catch_torch.hpp"  // first: the checks use Catch2's CHECK, not glog's

#include <ATen/ATen.h>
#include <c10/core/Device.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/run/device.hpp"

namespace segbench::test {

/// `list` parsed: each entry is resolved like --device (a CUDA device this process cannot use
/// throws ConfigError saying why); the CPU comes first, added when the list leaves it out, since
/// it is the reference the other devices are compared with. Empty: cpu, plus cuda:0 when CUDA
/// is available. Entries may repeat ("cpu,cpu" runs every body twice on the CPU).
inline std::vector<c10::Device> parse_test_devices(std::string_view list) {
  std::vector<c10::Device> devices;
  if (list.empty()) {
    devices.emplace_back(c10::kCPU);
    const c10::Device gpu = resolve_device("auto", 0);
    if (gpu.is_cuda()) devices.push_back(gpu);
    return devices;
  }
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    const std::string entry(list.substr(start, comma - start));
    try {
      devices.push_back(resolve_device(entry, 0));
    } catch (const ConfigError& e) {
      throw ConfigError("SEGBENCH_TEST_DEVICES=" + std::string(list) + ": " + e.what());
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (devices.empty() || !devices.front().is_cpu()) devices.insert(devices.begin(), c10::kCPU);
  return devices;
}

/// parse_test_devices(SEGBENCH_TEST_DEVICES). A list with a GPU turns TF32 off: float32
/// convolutions and matrix products in IEEE float32, so that a GPU's result stays within the
/// float32 tolerance of the CPU's (TF32 differs by ~1e-3).
inline const std::vector<c10::Device>& test_devices() {
  static const std::vector<c10::Device> devices = [] {
    const char* list = std::getenv("SEGBENCH_TEST_DEVICES");
    std::vector<c10::Device> parsed = parse_test_devices(list ? list : "");
    for (const c10::Device& d : parsed) {
      if (d.is_cuda()) {
        at::globalContext().setAllowTF32CuDNN(false);
        at::globalContext().setAllowTF32CuBLAS(false);
      }
    }
    return parsed;
  }();
  return devices;
}

struct Tolerance {
  double rtol = 0.0;
  double atol = 0.0;
};

/// How far a result on `device` may be from the CPU's: nothing on the CPU itself (the same
/// kernels again); elsewhere the kernels sum in another order: float64 1e-10 relative,
/// float32 1e-4 relative and 1e-5 absolute, bfloat16 and float16 1e-2 (relative to the
/// result's largest magnitude, see check_close); integers and bool exact.
inline Tolerance device_tolerance(c10::Device device, at::ScalarType dtype) {
  if (device.is_cpu() || !at::isFloatingType(dtype)) return {};
  if (dtype == at::kDouble) return {1e-10, 1e-12};
  if (dtype == at::kFloat) return {1e-4, 1e-5};
  return {1e-2, 1e-2};
}

/// max |result - reference| <= atol + rtol * max |reference|, on the CPU (relative to the
/// largest magnitude: summation-order differences scale with the operands, not with each
/// element), with the largest difference in the message. Shapes and dtypes must match; a zero
/// tolerance asks for equal tensors.
inline void check_close(const at::Tensor& result, const at::Tensor& reference, Tolerance tol) {
  const at::Tensor r = result.detach().cpu();
  const at::Tensor e = reference.detach().cpu();
  REQUIRE(r.sizes() == e.sizes());
  REQUIRE(r.scalar_type() == e.scalar_type());
  if (tol.rtol == 0.0 && tol.atol == 0.0) {
    CHECK(at::equal(r, e));
    return;
  }
  if (r.numel() == 0) return;
  const double largest = e.to(at::kDouble).abs().max().item<double>();
  const double difference = (r.to(at::kDouble) - e.to(at::kDouble)).abs().max().item<double>();
  INFO("largest difference " << difference << ", largest magnitude " << largest << " (rtol "
                             << tol.rtol << ", atol " << tol.atol << ")");
  CHECK(difference <= tol.atol + tol.rtol * largest);
}

/// The CPU run's results by name, and the checks of every other device's results against them.
class CpuResults {
 public:
  /// On the CPU: records `result` (a second CPU run must reproduce it exactly). Elsewhere:
  /// `result` must match the CPU's within device_tolerance, or `tolerance` when given.
  void check(const std::string& name, const at::Tensor& result, c10::Device device,
             std::optional<Tolerance> tolerance = std::nullopt) {
    INFO("'" << name << "' on " << device << " against the CPU");
    const auto found = results_.find(name);
    if (found == results_.end()) {
      REQUIRE(device.is_cpu());  // the CPU runs first
      results_.emplace(name, result.detach().cpu().clone());
      return;
    }
    check_close(result, found->second,
                device.is_cpu()
                    ? Tolerance{}
                    : tolerance.value_or(device_tolerance(device, result.scalar_type())));
  }

  /// Numbers (a loss, per-class scores) computed in float32: float32 tolerance off the CPU
  /// unless told otherwise.
  void check(const std::string& name, const std::vector<double>& values, c10::Device device,
             std::optional<Tolerance> tolerance = std::nullopt) {
    check(name, at::tensor(values, at::kDouble), device,
          tolerance.value_or(device_tolerance(device, at::kFloat)));
  }
  void check(const std::string& name, double value, c10::Device device,
             std::optional<Tolerance> tolerance = std::nullopt) {
    check(name, std::vector<double>{value}, device, tolerance);
  }

 private:
  std::map<std::string, at::Tensor> results_;
};

}  // namespace segbench::test
