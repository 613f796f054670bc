// A small RAII wrapper over the HDF5 C API for the CAM5 climate files. No torch here.
// Automatic HDF5 error printing is off; every failure throws DataError naming the file and the
// dataset ("<file>: dataset climate/data: ..."). File locking is off for reading, so files on
// shared file systems and files read by several threads at once open without trouble.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace segbench::io {

class AtomicFile;

/// The on-disk element types the reader accepts (float16 is IEEE half, as numpy/h5py write it).
enum class H5Dtype {
  float16,
  float32,
  float64,
  int8,
  uint8,
  int16,
  uint16,
  int32,
  uint32,
  int64,
  uint64
};

/// numpy's name for the dtype ("float32", "int32", ...).
std::string to_string(H5Dtype dtype);
bool is_floating(H5Dtype dtype);

/// Shape (C order, empty for a scalar) and on-disk dtype of a dataset.
struct H5DatasetInfo {
  std::vector<std::size_t> shape;
  H5Dtype dtype = H5Dtype::float32;

  std::size_t numel() const;
};

/// A dataset converted to element type T; `stored` is the dtype on disk.
template <class T>
struct H5Array {
  std::vector<std::size_t> shape;
  H5Dtype stored = H5Dtype::float32;
  std::vector<T> values;
};

/// "(768, 1152, 16)"; "()" for a scalar.
std::string shape_string(std::span<const std::size_t> shape);

/// An HDF5 file opened read-only.
class H5Reader {
 public:
  /// DataError "<file>: cannot open as HDF5 ..." when missing or not HDF5.
  explicit H5Reader(const std::filesystem::path& path);
  ~H5Reader();
  H5Reader(H5Reader&& other) noexcept;
  H5Reader& operator=(H5Reader&& other) noexcept;
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// True when `object_path` ("climate/data") names a dataset.
  bool has_dataset(std::string_view object_path) const;
  /// Every dataset in the file, as full paths without the leading '/', sorted.
  std::vector<std::string> list_datasets() const;

  H5DatasetInfo info(std::string_view dataset) const;
  /// Floating or integer data converted to float32 (float64 values are rounded).
  H5Array<float> read_float32(std::string_view dataset) const;
  /// Floating or integer data converted to float64.
  H5Array<double> read_float64(std::string_view dataset) const;
  /// Integer data as int64. Floating data is accepted only when every value is integral
  /// (labels written as floats); otherwise DataError naming the first bad value.
  H5Array<std::int64_t> read_int64(std::string_view dataset) const;

 private:
  std::filesystem::path path_;
  std::int64_t file_ = -1;  // hid_t
};

/// A new HDF5 file, built in memory and written to a temporary sibling that commit() fsyncs and
/// renames over `path` (a failed write is a DataError naming `path`). Without commit() (an
/// exception in between) the temporary file is removed. Objects carry no timestamps: the same
/// content gives the same bytes.
class H5Writer {
 public:
  explicit H5Writer(const std::filesystem::path& path);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  const std::filesystem::path& path() const { return path_; }

  /// Creates a group (and its missing parents); writing a dataset does this by itself.
  void create_group(std::string_view group);
  /// Writes a dataset of `shape` (empty shape: a scalar); values.size() must match.
  void write(std::string_view dataset, std::span<const std::size_t> shape,
             std::span<const float> values);
  void write(std::string_view dataset, std::span<const std::size_t> shape,
             std::span<const double> values);
  void write(std::string_view dataset, std::span<const std::size_t> shape,
             std::span<const std::int32_t> values);
  void write(std::string_view dataset, std::span<const std::size_t> shape,
             std::span<const std::int64_t> values);
  void write(std::string_view dataset, std::span<const std::size_t> shape,
             std::span<const std::uint8_t> values);

  /// Closes the file and renames it into place.
  void commit();

 private:
  void write_raw(std::string_view dataset, std::span<const std::size_t> shape, std::size_t count,
                 std::int64_t memory_type, const void* values);

  std::filesystem::path path_;
  std::unique_ptr<AtomicFile> out_;
  std::int64_t file_ = -1;  // hid_t
};

/// The *.h5 files directly in `dir` whose names start with `prefix`, sorted by name (byte
/// order, as Python's sorted()). DataError naming the directory when it is missing, not a
/// directory or holds no such file.
std::vector<std::filesystem::path> list_h5_files(const std::filesystem::path& dir,
                                                 std::string_view prefix = "");

}  // namespace segbench::io
