#include "segbench/train/memory_check.hpp"

#include <catch2/catch.hpp>

#include "segbench/error.hpp"

using namespace segbench;

TEST_CASE("a batch that cannot fit is refused with the figures", "[train]") {
  // nnU-Net 2D at batch 100000: 4×192×160 float images and 192×160 uint8 labels.
  const std::uint64_t sample = 4 * 192 * 160 * 4 + 192 * 160;
  CHECK_THROWS_WITH(check_batch_fits(sample, 100000, std::uint64_t{24} << 30),
                    Catch::Contains("batch size 100000") && Catch::Contains("52.2 GB") &&
                        Catch::Contains("25.8 GB of memory are available"));
  CHECK_NOTHROW(check_batch_fits(sample, 64, std::uint64_t{24} << 30));
  CHECK_NOTHROW(check_batch_fits(sample, 100000, std::nullopt));  // unknown: not refused
}

TEST_CASE("this machine's available memory is read", "[train]") {
  const auto available = available_host_memory();
  REQUIRE(available.has_value());
  CHECK(*available > (std::uint64_t{16} << 20));
}
