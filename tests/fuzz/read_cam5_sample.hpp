// Shared by fuzz_hdf5 and fuzz_hdf5_bytes: what Cam5Hdf5Dataset::get reads of a sample
// (climate/data as float32, climate/labels_0 as int64), plus list_datasets. A result must
// hold as many values as its shape says; a refusal must be a DataError naming the file.
// SEGBENCH_FUZZ_SHOW_ERRORS=1 prints each refusal (which ones a corpus reaches:
// fuzz_hdf5 -runs=0 CORPUS).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "fuzz_input.hpp"
#include "segbench/io/hdf5.hpp"

namespace segbench::fuzz {

inline void read_cam5_sample(const std::filesystem::path& path) {
  try {
    const io::H5Reader reader(path);
    (void)reader.list_datasets();
    const auto values = reader.read_float32("climate/data");
    if (values.values.size() != io::H5DatasetInfo{values.shape, values.stored}.numel())
      __builtin_trap();
    const auto labels = reader.read_int64("climate/labels_0");
    if (labels.values.size() != io::H5DatasetInfo{labels.shape, labels.stored}.numel())
      __builtin_trap();
  } catch (const DataError& error) {
    expect_names_file(error, path);
    static const bool show = std::getenv("SEGBENCH_FUZZ_SHOW_ERRORS") != nullptr;
    if (show) std::fprintf(stderr, "refused: %s\n", error.what());
  }
}

}  // namespace segbench::fuzz
