// libFuzzer target: a CAM5 sample read as Cam5Hdf5Dataset::get reads it (climate/data as
// float32, climate/labels_0 as int64), plus the dataset listing, on arbitrary bytes. HDF5's C
// library opens only paths, so the input is written to a scratch file.
// Arbitrary bytes reach libhdf5's own metadata parsing, where 1.10 has defects of its own
// (fuzz_hdf5.cpp): sanitize runs only replay the seeds and past findings through this target;
// a campaign by hand is docs/how-to/fuzz-the-readers.md.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "segbench/io/hdf5.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = segbench::fuzz::scratch_file("input.h5");
  segbench::fuzz::write_input(path, data, size);
  try {
    const segbench::io::H5Reader reader(path);
    (void)reader.list_datasets();
    const auto values = reader.read_float32("climate/data");
    if (values.values.size() != segbench::io::H5DatasetInfo{values.shape, values.stored}.numel())
      __builtin_trap();
    const auto labels = reader.read_int64("climate/labels_0");
    if (labels.values.size() != segbench::io::H5DatasetInfo{labels.shape, labels.stored}.numel())
      __builtin_trap();
  } catch (const segbench::DataError& error) {
    segbench::fuzz::expect_names_file(error, path);
  }
  return 0;
}
