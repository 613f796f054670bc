#include "segbench/io/hdf5.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"

namespace segbench::io {
namespace {

namespace fs = std::filesystem;

static_assert(std::is_same_v<hid_t, std::int64_t>, "HDF5 >= 1.10 uses 64-bit hid_t");

/// HDF5 keeps the automatic error handler per thread in thread-safe builds: silence it in
/// every thread that touches a file.
void silence_hdf5_errors() {
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

/// Closes an HDF5 handle with the matching close function when it goes out of scope.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

/// A group or dataset creation property list without object timestamps, so that the same
/// content gives the same bytes (HDF5 stores creation and modification times otherwise).
Handle untimed_creation(hid_t property_class) {
  Handle list(H5Pcreate(property_class), H5Pclose);
  if (list.valid()) H5Pset_obj_track_times(list.get(), false);
  return list;
}

std::string dataset_prefix(const fs::path& path, std::string_view dataset) {
  return fmt::format("{}: dataset {}", path.string(), dataset);
}

H5Dtype classify(hid_t type, const fs::path& path, std::string_view dataset) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (type_class == H5T_FLOAT) {
    if (size == 2) return H5Dtype::float16;
    if (size == 4) return H5Dtype::float32;
    if (size == 8) return H5Dtype::float64;
  } else if (type_class == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1:
        return is_signed ? H5Dtype::int8 : H5Dtype::uint8;
      case 2:
        return is_signed ? H5Dtype::int16 : H5Dtype::uint16;
      case 4:
        return is_signed ? H5Dtype::int32 : H5Dtype::uint32;
      case 8:
        return is_signed ? H5Dtype::int64 : H5Dtype::uint64;
      default:
        break;
    }
  }
  throw DataError(fmt::format(
      "{}: unsupported element type (HDF5 class {}, {} bytes), expected a float16/32/64 or "
      "integer type",
      dataset_prefix(path, dataset), static_cast<int>(type_class), size));
}

/// True when the object at `name` (which must exist) is a dataset. H5Oopen + H5Iget_type works
/// the same under the 1.10 and 1.12+ APIs, unlike H5Oget_info.
bool is_dataset(hid_t location, const char* name) {
  Handle object(H5Oopen(location, name, H5P_DEFAULT), H5Oclose);
  return object.valid() && H5Iget_type(object.get()) == H5I_DATASET;
}

/// Checks that every group on the way to `object_path` exists, so H5Lexists does not fail on
/// a missing intermediate group.
bool link_exists(hid_t file, std::string_view object_path) {
  std::size_t start = 0;
  while (start <= object_path.size()) {
    const std::size_t slash = object_path.find('/', start);
    const std::string prefix(object_path.substr(0, slash));
    if (!prefix.empty() && H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

/// A corrupt header can claim any shape: the bytes it needs are compared with what the file
/// can hold (its size; times deflate's ~1032:1 for a filtered dataset) before anything is
/// allocated.
void check_size_against_file(hid_t dataset, hid_t type, const H5DatasetInfo& info,
                             const fs::path& path, std::string_view name) {
  std::size_t bytes = H5Tget_size(type);
  for (const std::size_t d : info.shape) {
    SEGBENCH_CHECK(!__builtin_mul_overflow(bytes, d, &bytes), DataError,
                   "{}: shape {} is too large (corrupt header?)", dataset_prefix(path, name),
                   shape_string(info.shape));
  }
  Handle create_plist(H5Dget_create_plist(dataset), H5Pclose);
  SEGBENCH_CHECK(create_plist.valid(), DataError, "{}: cannot read its storage layout",
                 dataset_prefix(path, name));
  const bool filtered = H5Pget_nfilters(create_plist.get()) > 0;
  // HDF5 1.10 trusts the layout message: a compact (or allocated contiguous) dataset whose
  // stored size differs from what its shape needs makes H5Dread copy past the stored bytes
  // (heap overflow inside libhdf5, found by fuzz_hdf5).
  const H5D_layout_t layout = H5Pget_layout(create_plist.get());
  const hsize_t stored = H5Dget_storage_size(dataset);
  SEGBENCH_CHECK(
      !(layout == H5D_COMPACT || (layout == H5D_CONTIGUOUS && stored > 0)) || stored == bytes,
      DataError, "{}: corrupt storage: shape {} of {} needs {} bytes, its {} layout holds {}",
      dataset_prefix(path, name), shape_string(info.shape), to_string(info.dtype), bytes,
      layout == H5D_COMPACT ? "compact" : "contiguous", stored);
  std::error_code ec;
  const auto file_size = static_cast<double>(std::filesystem::file_size(path, ec));
  SEGBENCH_CHECK(!ec, DataError, "{}: cannot stat: {}", path.string(), ec.message());
  constexpr double kMaxDeflateRatio = 1040.0;
  const double capacity = filtered ? file_size * kMaxDeflateRatio : file_size;
  SEGBENCH_CHECK(static_cast<double>(bytes) <= capacity, DataError,
                 "{}: shape {} of {} needs {} bytes, more than the file ({} bytes{}) can hold "
                 "(corrupt header?)",
                 dataset_prefix(path, name), shape_string(info.shape), to_string(info.dtype), bytes,
                 file_size, filtered ? ", compressed" : "");
}

struct OpenDataset {
  Handle dataset;
  Handle space;
  Handle type;
  H5DatasetInfo info;
};

OpenDataset open_dataset(hid_t file, const fs::path& path, std::string_view name) {
  silence_hdf5_errors();
  const std::string name_string(name);
  SEGBENCH_CHECK(link_exists(file, name), DataError, "{}: not found in the file",
                 dataset_prefix(path, name));
  SEGBENCH_CHECK(is_dataset(file, name_string.c_str()), DataError,
                 "{}: exists but is not a dataset", dataset_prefix(path, name));
  Handle dataset(H5Dopen2(file, name_string.c_str(), H5P_DEFAULT), H5Dclose);
  SEGBENCH_CHECK(dataset.valid(), DataError, "{}: cannot open", dataset_prefix(path, name));
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  SEGBENCH_CHECK(space.valid() && type.valid(), DataError, "{}: cannot read its dataspace or type",
                 dataset_prefix(path, name));
  // A null dataspace holds no values at all; its rank (0) would otherwise read as a scalar.
  SEGBENCH_CHECK(H5Sget_simple_extent_type(space.get()) != H5S_NULL, DataError,
                 "{}: holds no values (null dataspace)", dataset_prefix(path, name));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  SEGBENCH_CHECK(rank >= 0, DataError, "{}: not a simple dataspace", dataset_prefix(path, name));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  H5DatasetInfo info;
  info.shape.assign(dims.begin(), dims.end());
  info.dtype = classify(type.get(), path, name);
  check_size_against_file(dataset.get(), type.get(), info, path, name);
  return {std::move(dataset), std::move(space), std::move(type), std::move(info)};
}

template <class T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, std::int32_t>) return H5T_NATIVE_INT32;
  if constexpr (std::is_same_v<T, std::uint8_t>) return H5T_NATIVE_UINT8;
}

template <class T>
H5Array<T> read_as(hid_t file, const fs::path& path, std::string_view name) {
  OpenDataset open = open_dataset(file, path, name);
  H5Array<T> result;
  result.shape = open.info.shape;
  result.stored = open.info.dtype;
  result.values.resize(open.info.numel());
  if (!result.values.empty()) {
    SEGBENCH_CHECK(H5Dread(open.dataset.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                           result.values.data()) >= 0,
                   DataError, "{}: reading {} values of {} as {} failed (truncated file?)",
                   dataset_prefix(path, name), result.values.size(), to_string(result.stored),
                   std::is_same_v<T, float> ? "float32" : "float64");
  }
  return result;
}

}  // namespace

std::string to_string(H5Dtype dtype) {
  switch (dtype) {
    case H5Dtype::float16:
      return "float16";
    case H5Dtype::float32:
      return "float32";
    case H5Dtype::float64:
      return "float64";
    case H5Dtype::int8:
      return "int8";
    case H5Dtype::uint8:
      return "uint8";
    case H5Dtype::int16:
      return "int16";
    case H5Dtype::uint16:
      return "uint16";
    case H5Dtype::int32:
      return "int32";
    case H5Dtype::uint32:
      return "uint32";
    case H5Dtype::int64:
      return "int64";
    case H5Dtype::uint64:
      return "uint64";
  }
  return "unknown";
}

bool is_floating(H5Dtype dtype) {
  return dtype == H5Dtype::float16 || dtype == H5Dtype::float32 || dtype == H5Dtype::float64;
}

std::size_t H5DatasetInfo::numel() const {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

std::string shape_string(std::span<const std::size_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

H5Reader::H5Reader(const fs::path& path) : path_(path) {
  silence_hdf5_errors();
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_regular_file(path, ec), DataError, "{}: no such file", path.string());
  SEGBENCH_CHECK(H5Fis_hdf5(path.c_str()) > 0, DataError, "{}: not an HDF5 file", path.string());
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(access.get(), false, true);
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get());
  SEGBENCH_CHECK(file_ >= 0, DataError, "{}: cannot open as HDF5", path.string());
}

H5Reader::~H5Reader() {
  if (file_ >= 0) H5Fclose(file_);
}

H5Reader::H5Reader(H5Reader&& other) noexcept
    : path_(std::move(other.path_)), file_(std::exchange(other.file_, -1)) {}

H5Reader& H5Reader::operator=(H5Reader&& other) noexcept {
  if (this != &other) {
    if (file_ >= 0) H5Fclose(file_);
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, -1);
  }
  return *this;
}

bool H5Reader::has_dataset(std::string_view object_path) const {
  silence_hdf5_errors();
  if (!link_exists(file_, object_path)) return false;
  const std::string name(object_path);
  return is_dataset(file_, name.c_str());
}

std::vector<std::string> H5Reader::list_datasets() const {
  silence_hdf5_errors();
  // A corrupt file can hold link cycles or huge symbol tables that H5Lvisit walks for minutes
  // (fuzz_hdf5): the walk stops at these bounds, far above any CAM5 file's few datasets.
  constexpr std::size_t kMaxObjects = 10000;
  constexpr std::size_t kMaxDepth = 32;
  struct Visit {
    hid_t file;
    std::vector<std::string> names;
    std::size_t visited = 0;
    bool too_big = false;
  } visit_state{file_, {}};
  const auto visit = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    auto* state = static_cast<Visit*>(out);
    const std::string_view view(name);
    if (++state->visited > kMaxObjects ||
        static_cast<std::size_t>(std::count(view.begin(), view.end(), '/')) >= kMaxDepth) {
      state->too_big = true;
      return -1;
    }
    if (is_dataset(state->file, name)) state->names.push_back(name);
    return 0;
  };
  std::vector<std::string>& names = visit_state.names;
  const herr_t visited = H5Lvisit(file_, H5_INDEX_NAME, H5_ITER_INC, visit, &visit_state);
  SEGBENCH_CHECK(!visit_state.too_big, DataError,
                 "{}: more than {} objects or groups nested {} deep: corrupt group structure "
                 "(link cycle?)",
                 path_.string(), kMaxObjects, kMaxDepth);
  SEGBENCH_CHECK(visited >= 0, DataError, "{}: cannot list the objects in the file",
                 path_.string());
  std::sort(names.begin(), names.end());
  return names;
}

H5DatasetInfo H5Reader::info(std::string_view dataset) const {
  return open_dataset(file_, path_, dataset).info;
}

H5Array<float> H5Reader::read_float32(std::string_view dataset) const {
  return read_as<float>(file_, path_, dataset);
}

H5Array<double> H5Reader::read_float64(std::string_view dataset) const {
  return read_as<double>(file_, path_, dataset);
}

H5Array<std::int64_t> H5Reader::read_int64(std::string_view dataset) const {
  const H5DatasetInfo dataset_info = info(dataset);
  if (!is_floating(dataset_info.dtype)) return read_as<std::int64_t>(file_, path_, dataset);
  const H5Array<double> floating = read_as<double>(file_, path_, dataset);
  H5Array<std::int64_t> result{floating.shape, floating.stored, {}};
  result.values.reserve(floating.values.size());
  for (std::size_t i = 0; i < floating.values.size(); ++i) {
    const double v = floating.values[i];
    SEGBENCH_CHECK(std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 0x1p62, DataError,
                   "{}: expected integer values, found {} at flat index {} ({} data)",
                   dataset_prefix(path_, dataset), v, i, to_string(floating.stored));
    result.values.push_back(static_cast<std::int64_t>(v));
  }
  return result;
}

H5Writer::H5Writer(const fs::path& path) : path_(path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  // The temporary file is created now, so that an unwritable directory is found before any
  // work; HDF5 builds the file in memory (core driver) and commit() writes its image through
  // the checked AtomicFile, so a full disk is an error naming the file, never a torn file.
  out_ = std::make_unique<AtomicFile>(path, ".h5");
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  SEGBENCH_CHECK(access.valid() && H5Pset_fapl_core(access.get(), std::size_t{4} << 20, false) >= 0,
                 DataError, "{}: cannot set up HDF5's in-memory file", path.string());
  file_ = H5Fcreate(out_->temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  SEGBENCH_CHECK(file_ >= 0, DataError, "{}: cannot create HDF5 file (temporary {})", path.string(),
                 out_->temp_path().string());
}

H5Writer::~H5Writer() {
  if (file_ >= 0) H5Fclose(file_);
  // out_'s destructor removes the temporary file unless commit() renamed it into place.
}

void H5Writer::create_group(std::string_view group) {
  silence_hdf5_errors();
  std::size_t start = 0;
  while (start <= group.size()) {
    const std::size_t slash = group.find('/', start);
    const std::string prefix(group.substr(0, slash));
    if (!prefix.empty() && H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) {
      Handle created(H5Gcreate2(file_, prefix.c_str(), H5P_DEFAULT,
                                untimed_creation(H5P_GROUP_CREATE).get(), H5P_DEFAULT),
                     H5Gclose);
      SEGBENCH_CHECK(created.valid(), DataError, "{}: cannot create group {}", path_.string(),
                     prefix);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

void H5Writer::write_raw(std::string_view dataset, std::span<const std::size_t> shape,
                         std::size_t count, hid_t memory_type, const void* values) {
  silence_hdf5_errors();
  std::size_t expected = 1;
  for (std::size_t d : shape) expected *= d;
  SEGBENCH_CHECK(count == expected, DataError, "{}: shape {} needs {} values, given {}",
                 dataset_prefix(path_, dataset), shape_string(shape), expected, count);
  const std::size_t slash = dataset.rfind('/');
  if (slash != std::string_view::npos) create_group(dataset.substr(0, slash));
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(shape.empty()
                   ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  const std::string name(dataset);
  Handle created(H5Dcreate2(file_, name.c_str(), memory_type, space.get(), H5P_DEFAULT,
                            untimed_creation(H5P_DATASET_CREATE).get(), H5P_DEFAULT),
                 H5Dclose);
  SEGBENCH_CHECK(created.valid(), DataError, "{}: cannot create (does it exist already?)",
                 dataset_prefix(path_, dataset));
  SEGBENCH_CHECK(count == 0 || H5Dwrite(created.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                        values) >= 0,
                 DataError, "{}: writing {} values failed", dataset_prefix(path_, dataset), count);
}

void H5Writer::write(std::string_view dataset, std::span<const std::size_t> shape,
                     std::span<const float> values) {
  write_raw(dataset, shape, values.size(), H5T_NATIVE_FLOAT, values.data());
}
void H5Writer::write(std::string_view dataset, std::span<const std::size_t> shape,
                     std::span<const double> values) {
  write_raw(dataset, shape, values.size(), H5T_NATIVE_DOUBLE, values.data());
}
void H5Writer::write(std::string_view dataset, std::span<const std::size_t> shape,
                     std::span<const std::int32_t> values) {
  write_raw(dataset, shape, values.size(), H5T_NATIVE_INT32, values.data());
}
void H5Writer::write(std::string_view dataset, std::span<const std::size_t> shape,
                     std::span<const std::int64_t> values) {
  write_raw(dataset, shape, values.size(), H5T_NATIVE_INT64, values.data());
}
void H5Writer::write(std::string_view dataset, std::span<const std::size_t> shape,
                     std::span<const std::uint8_t> values) {
  write_raw(dataset, shape, values.size(), H5T_NATIVE_UINT8, values.data());
}

void H5Writer::commit() {
  SEGBENCH_CHECK(file_ >= 0, DataError, "{}: already committed", path_.string());
  const hid_t file = std::exchange(file_, -1);
  SEGBENCH_CHECK(H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0, DataError,
                 "{}: flushing the in-memory HDF5 file failed", path_.string());
  const ssize_t size = H5Fget_file_image(file, nullptr, 0);
  std::string image(size > 0 ? static_cast<std::size_t>(size) : 0, '\0');
  const bool imaged = size > 0 && H5Fget_file_image(file, image.data(), image.size()) == size;
  const bool closed = H5Fclose(file) >= 0;
  SEGBENCH_CHECK(imaged && closed, DataError, "{}: HDF5 could not produce the file's image",
                 path_.string());
  out_->write(image);
  out_->commit();
}

std::vector<fs::path> list_h5_files(const fs::path& dir, std::string_view prefix) {
  std::error_code ec;
  SEGBENCH_CHECK(fs::is_directory(dir, ec), DataError, "{}: no such directory", dir.string());
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= 3 && name.ends_with(".h5") && name.starts_with(prefix) &&
        entry.is_regular_file(ec))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  SEGBENCH_CHECK(!files.empty(), DataError, "{}: no {}*.h5 files found (empty directory?)",
                 dir.string(), prefix);
  return files;
}

}  // namespace segbench::io
