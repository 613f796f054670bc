// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0). No torch here.
// Errors throw DataError naming the file and what was expected vs found.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace segbench::io {

enum class NpyDtype { float32, float64, uint8, int8, uint16, int16, int32, int64, boolean };

/// numpy's name for the dtype ("float32", "uint8", ...).
std::string to_string(NpyDtype dtype);
std::size_t item_size(NpyDtype dtype);

/// An array read from disk: always C order, native (little) endianness after reading;
/// Fortran-order and big-endian files are converted on load.
struct NpyArray {
  NpyDtype dtype = NpyDtype::float32;
  std::vector<std::size_t> shape;
  std::vector<std::byte> bytes;

  std::size_t numel() const;
  template <class T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  template <class T>
  T* data() {
    return reinterpret_cast<T*>(bytes.data());
  }
};

/// Reads a whole .npy file.
NpyArray read_npy(const std::filesystem::path& path);

/// Writes C-order little-endian data atomically (temp file in the same directory, then rename).
void write_npy(const std::filesystem::path& path, NpyDtype dtype,
               std::span<const std::size_t> shape, const void* data);

}  // namespace segbench::io
