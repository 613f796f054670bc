// libFuzzer target: io::read_npy on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "segbench/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = segbench::fuzz::scratch_file("input.npy");
  segbench::fuzz::write_input(path, data, size);
  try {
    const segbench::io::NpyArray array = segbench::io::read_npy(path);
    if (array.bytes.size() != array.numel() * segbench::io::item_size(array.dtype))
      __builtin_trap();
  } catch (const segbench::DataError& error) {
    segbench::fuzz::expect_names_file(error, path);
  }
  return 0;
}
