// The device list of the device-looped tests (tests/support/test_devices.hpp): the CPU first, a
// GPU only when this process can use it, and a named GPU it cannot use is an error, never a
// silent CPU-only pass.
#include "catch_torch.hpp"
#include "support/test_devices.hpp"

#include <torch/cuda.h>

#include <vector>

#include "segbench/error.hpp"

using segbench::test::parse_test_devices;
using Devices = std::vector<c10::Device>;

TEST_CASE("SEGBENCH_TEST_DEVICES: the CPU first, repeats kept, unusable GPUs refused", "[run]") {
  const c10::Device cpu(c10::kCPU);
  CHECK(parse_test_devices("cpu") == Devices{cpu});
  CHECK(parse_test_devices("cpu,cpu") == Devices{cpu, cpu});
  REQUIRE_THROWS_AS(parse_test_devices("tpu"), segbench::ConfigError);
  REQUIRE_THROWS_WITH(parse_test_devices("cpu,"),
                      Catch::Contains("SEGBENCH_TEST_DEVICES=cpu,: --device : expected"));
  const bool cuda = torch::cuda::is_available();
  if (cuda) {
    const c10::Device gpu(c10::kCUDA, 0);
    CHECK(parse_test_devices("") == Devices{cpu, gpu});
    CHECK(parse_test_devices("cuda:0") == Devices{cpu, gpu});  // the CPU is the reference
    CHECK(parse_test_devices("cpu,cuda") == Devices{cpu, gpu});
  } else {
    CHECK(parse_test_devices("") == Devices{cpu});
    REQUIRE_THROWS_WITH(parse_test_devices("cuda:0"),
                        Catch::Contains("--device cuda:0: CUDA is not available"));
    REQUIRE_THROWS_WITH(parse_test_devices("cpu,cuda"), Catch::Contains("CUDA is not available"));
  }
  // What this run uses: SEGBENCH_TEST_DEVICES or the default, the CPU first.
  const Devices& used = segbench::test::test_devices();
  REQUIRE_FALSE(used.empty());
  CHECK(used.front() == cpu);
}

TEST_CASE("device_tolerance: exact on the CPU and for integers, per float type elsewhere",
          "[run]") {
  using segbench::test::device_tolerance;
  const c10::Device cpu(c10::kCPU), gpu(c10::kCUDA, 0);
  CHECK(device_tolerance(cpu, at::kFloat).rtol == 0.0);
  CHECK(device_tolerance(gpu, at::kLong).atol == 0.0);
  CHECK(device_tolerance(gpu, at::kFloat).rtol == 1e-4);
  CHECK(device_tolerance(gpu, at::kBFloat16).rtol == 1e-2);
  segbench::test::CpuResults results;
  results.check("ones", at::ones({3}), cpu);
  results.check("ones", at::ones({3}), cpu);  // a second CPU run must reproduce it exactly
  segbench::test::check_close(at::ones({3}) + 5e-6, at::ones({3}), {1e-5, 0.0});
}
