// libFuzzer target: a CAM5 sample read as Cam5Hdf5Dataset::get reads it (climate/data as
// float32, climate/labels_0 as int64), plus the dataset listing, on arbitrary bytes. HDF5's C
// library opens only paths, so the input is written to a scratch file.
// Arbitrary bytes reach libhdf5's own metadata parsing, where 1.10 has defects of its own
// (fuzz_hdf5.cpp): sanitize runs only replay the seeds and past findings through this target;
// a campaign by hand is docs/how-to/fuzz-the-readers.md.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "read_cam5_sample.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = segbench::fuzz::scratch_file("input.h5");
  segbench::fuzz::write_input(path, data, size);
  segbench::fuzz::read_cam5_sample(path);
  return 0;
}
