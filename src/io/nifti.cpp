// NIfTI volumes. Reading is done here, through zlib (which reads .nii and .nii.gz alike), so
// that every field is checked before anything is allocated and every failure names the file:
// nifticlib would allocate what the header claims, silently turn a spacing of 0 or NaN into
// 1 mm and decompress a .nii.gz twice. nifticlib still writes the files.
#include "segbench/io/nifti.hpp"

#include "segbench/io/atomic_file.hpp"
#include "segbench/io/checked_file.hpp"
#include "segbench/io/fault_injection.hpp"

#include <nifti2_io.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::io {
namespace {

namespace fs = std::filesystem;

constexpr int kNifti1HeaderSize = 348;
constexpr int kNifti2HeaderSize = 540;
// Deflate expands at most ~1032:1; a .nii.gz whose header claims more data than its size
// times this can hold is refused before anything is allocated.
constexpr double kMaxDeflateRatio = 1040.0;

struct HeaderSummary {
  int version = 0;
  bool swapped = false;
  std::int64_t ndim = 0;
  std::array<std::int64_t, 8> dim{};
  int datatype = 0;
  std::array<double, 3> spacing{};
  double vox_offset = 0;
  double slope = 0;
  double inter = 0;
  std::size_t item_size = 0;
  std::size_t data_bytes = 0;  ///< voxel count times item_size
};

template <class T>
T read_field(const unsigned char* bytes, std::size_t offset, bool swapped) {
  T value;
  std::memcpy(&value, bytes + offset, sizeof(T));
  if (swapped) {
    unsigned char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    std::reverse(raw, raw + sizeof(T));
    std::memcpy(&value, raw, sizeof(T));
  }
  return value;
}

const char* datatype_name(int datatype) {
  switch (datatype) {
    case DT_UINT8:
      return "uint8";
    case DT_INT16:
      return "int16";
    case DT_INT32:
      return "int32";
    case DT_FLOAT32:
      return "float32";
    case DT_FLOAT64:
      return "float64";
    case DT_INT8:
      return "int8";
    case DT_UINT16:
      return "uint16";
    case DT_UINT32:
      return "uint32";
    case DT_INT64:
      return "int64";
    case DT_UINT64:
      return "uint64";
    default:
      return nullptr;
  }
}

std::size_t datatype_size(int datatype) {
  switch (datatype) {
    case DT_UINT8:
    case DT_INT8:
      return 1;
    case DT_INT16:
    case DT_UINT16:
      return 2;
    case DT_INT32:
    case DT_UINT32:
    case DT_FLOAT32:
      return 4;
    default:
      return 8;
  }
}

std::string dims_string(const HeaderSummary& header) {
  std::string text = "[";
  for (std::int64_t a = 1; a <= header.ndim; ++a)
    text += fmt::format("{}{}", a > 1 ? ", " : "", header.dim[a]);
  return text + "]";
}

/// Closes a gzFile at scope end.
struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFilePtr = std::unique_ptr<gzFile_s, GzCloser>;

/// Reads up to `size` bytes; returns how many (fewer only at the end of the data). DataError
/// naming the file on a corrupt gzip stream.
std::size_t read_up_to(gzFile file, const fs::path& path, unsigned char* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const auto want = static_cast<unsigned>(std::min<std::size_t>(size - done, 1u << 20));
    const int got = gzread(file, out + done, want);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw DataError(fmt::format("{}: corrupt NIfTI file: {}", path.string(),
                                  message != nullptr ? message : "gzip read error"));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

/// Reads and validates the fixed header: magic, header size, dims, datatype, spacing,
/// vox_offset and scaling. Leaves `file` just after the header.
HeaderSummary check_header(gzFile file, const fs::path& path) {
  unsigned char bytes[kNifti2HeaderSize] = {};
  const std::size_t got = read_up_to(file, path, bytes, kNifti1HeaderSize);
  SEGBENCH_CHECK(got >= kNifti1HeaderSize, DataError,
                 "{}: not a NIfTI file: expected a header of at least {} bytes, found {}",
                 path.string(), kNifti1HeaderSize, got);

  const auto size_native = read_field<std::int32_t>(bytes, 0, false);
  const auto size_swapped = read_field<std::int32_t>(bytes, 0, true);
  HeaderSummary summary;
  summary.swapped = size_native != kNifti1HeaderSize && size_native != kNifti2HeaderSize;
  const bool swapped = summary.swapped;
  const std::int32_t header_size = swapped ? size_swapped : size_native;
  SEGBENCH_CHECK(header_size == kNifti1HeaderSize || header_size == kNifti2HeaderSize, DataError,
                 "{}: not a NIfTI file: expected sizeof_hdr 348 or 540, found {}", path.string(),
                 size_native);

  std::array<double, 4> pixdim{};
  if (header_size == kNifti1HeaderSize) {
    const std::string magic(reinterpret_cast<const char*>(bytes + 344), 3);
    SEGBENCH_CHECK(magic == "n+1" && bytes[347] == 0, DataError,
                   "{}: not a single-file NIfTI-1 file: expected magic \"n+1\", found \"{}\"",
                   path.string(), magic);
    summary.version = 1;
    for (int i = 0; i < 8; ++i)
      summary.dim[i] = read_field<std::int16_t>(bytes, 40 + 2 * i, swapped);
    summary.datatype = read_field<std::int16_t>(bytes, 70, swapped);
    for (int i = 1; i <= 3; ++i) pixdim[i] = read_field<float>(bytes, 76 + 4 * i, swapped);
    summary.vox_offset = read_field<float>(bytes, 108, swapped);
    summary.slope = read_field<float>(bytes, 112, swapped);
    summary.inter = read_field<float>(bytes, 116, swapped);
  } else {
    const std::size_t rest =
        read_up_to(file, path, bytes + kNifti1HeaderSize, kNifti2HeaderSize - kNifti1HeaderSize);
    SEGBENCH_CHECK(got + rest >= kNifti2HeaderSize, DataError,
                   "{}: truncated NIfTI-2 header: expected {} bytes, found {}", path.string(),
                   kNifti2HeaderSize, got + rest);
    const std::string magic(reinterpret_cast<const char*>(bytes + 4), 3);
    SEGBENCH_CHECK(magic == "n+2", DataError,
                   "{}: not a single-file NIfTI-2 file: expected magic \"n+2\", found \"{}\"",
                   path.string(), magic);
    summary.version = 2;
    summary.datatype = read_field<std::int16_t>(bytes, 12, swapped);
    for (int i = 0; i < 8; ++i)
      summary.dim[i] = read_field<std::int64_t>(bytes, 16 + 8 * i, swapped);
    for (int i = 1; i <= 3; ++i) pixdim[i] = read_field<double>(bytes, 104 + 8 * i, swapped);
    summary.vox_offset = static_cast<double>(read_field<std::int64_t>(bytes, 168, swapped));
    summary.slope = read_field<double>(bytes, 176, swapped);
    summary.inter = read_field<double>(bytes, 184, swapped);
  }
  summary.ndim = summary.dim[0];
  SEGBENCH_CHECK(summary.ndim == 3 || summary.ndim == 4, DataError,
                 "{}: expected a 3-D or 4-D NIfTI volume (dim[0] 3 or 4), found dim[0] = {}",
                 path.string(), summary.ndim);
  for (std::int64_t a = 1; a <= summary.ndim; ++a) {
    SEGBENCH_CHECK(summary.dim[a] > 0, DataError,
                   "{}: bad NIfTI dims: expected dim[{}] > 0, found {}", path.string(), a,
                   summary.dim[a]);
  }
  SEGBENCH_CHECK(datatype_name(summary.datatype) != nullptr, DataError,
                 "{}: unsupported NIfTI datatype code {} (expected uint8, int8, int16, uint16, "
                 "int32, uint32, int64, uint64, float32 or float64)",
                 path.string(), summary.datatype);
  summary.item_size = datatype_size(summary.datatype);
  summary.data_bytes = summary.item_size;
  for (std::int64_t a = 1; a <= summary.ndim; ++a) {
    SEGBENCH_CHECK(
        !__builtin_mul_overflow(summary.data_bytes, static_cast<std::size_t>(summary.dim[a]),
                                &summary.data_bytes),
        DataError, "{}: bad NIfTI dims: {} of {} is too large", path.string(), dims_string(summary),
        datatype_name(summary.datatype));
  }
  // nifticlib turns a spacing of 0 or NaN into 1 mm; a wrong spacing silently changes the
  // resampling, so it is refused here.
  for (int i = 1; i <= 3; ++i) {
    SEGBENCH_CHECK(std::isfinite(pixdim[i]) && pixdim[i] > 0, DataError,
                   "{}: bad NIfTI spacing: expected pixdim[{}] finite and > 0 mm, found {}",
                   path.string(), i, pixdim[i]);
    summary.spacing[i - 1] = pixdim[i];
  }
  SEGBENCH_CHECK(std::isfinite(summary.vox_offset) && summary.vox_offset >= header_size &&
                     summary.vox_offset == std::floor(summary.vox_offset),
                 DataError,
                 "{}: bad NIfTI vox_offset: expected a whole number of bytes >= {}, found {}",
                 path.string(), header_size, summary.vox_offset);
  const bool scaled = summary.slope != 0.0 && std::isfinite(summary.slope);
  SEGBENCH_CHECK(!scaled || std::isfinite(summary.inter), DataError,
                 "{}: valid scl_slope {} but non-finite scl_inter {}", path.string(), summary.slope,
                 summary.inter);
  return summary;
}

/// Reads the voxels after the header: exactly data_bytes from vox_offset on, nothing after.
/// The size is checked against the file (or what its compressed size can hold) first.
std::vector<unsigned char> read_voxels(gzFile file, const fs::path& path,
                                       const HeaderSummary& header, std::size_t header_size) {
  std::error_code ec;
  const auto file_size = static_cast<double>(fs::file_size(path, ec));
  SEGBENCH_CHECK(!ec, DataError, "{}: cannot stat NIfTI file: {}", path.string(), ec.message());
  const bool compressed = gzdirect(file) == 0;
  // What the file can hold after decompression (its own size when plain).
  const double capacity = compressed ? file_size * kMaxDeflateRatio + 4096 : file_size;
  const std::string what = fmt::format("{} bytes of {} voxels for dims {}", header.data_bytes,
                                       datatype_name(header.datatype), dims_string(header));
  SEGBENCH_CHECK(header.vox_offset <= capacity, DataError,
                 "{}: bad NIfTI vox_offset {}: past the end of the file ({} bytes{})",
                 path.string(), header.vox_offset, file_size, compressed ? " compressed" : "");
  SEGBENCH_CHECK(header.vox_offset + static_cast<double>(header.data_bytes) <= capacity, DataError,
                 "{}: NIfTI dims do not match the data: expected {} from vox_offset {}, but the "
                 "file has {} bytes{} (file truncated or dims corrupt)",
                 path.string(), what, header.vox_offset, file_size,
                 compressed ? " compressed" : "");

  // Skip the extensions between the header and vox_offset.
  std::size_t skip = static_cast<std::size_t>(header.vox_offset) - header_size;
  unsigned char scratch[4096];
  while (skip > 0) {
    const std::size_t want = std::min(skip, sizeof scratch);
    const std::size_t got = read_up_to(file, path, scratch, want);
    SEGBENCH_CHECK(got == want, DataError,
                   "{}: bad NIfTI vox_offset {}: past the end of the (decompressed) data",
                   path.string(), header.vox_offset);
    skip -= got;
  }
  std::vector<unsigned char> raw(header.data_bytes);
  const std::size_t got = read_up_to(file, path, raw.data(), raw.size());
  SEGBENCH_CHECK(got == raw.size(), DataError,
                 "{}: truncated NIfTI data: expected {} from vox_offset {}, found {} (file "
                 "truncated or dims corrupt)",
                 path.string(), what, header.vox_offset, got);
  // Also reads a gzip stream to its end, so that zlib checks its CRC.
  SEGBENCH_CHECK(read_up_to(file, path, scratch, 1) == 0, DataError,
                 "{}: NIfTI dims do not match the data: expected {} from vox_offset {}, found "
                 "more bytes after them",
                 path.string(), what, header.vox_offset);
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  SEGBENCH_CHECK(code == Z_OK, DataError, "{}: corrupt NIfTI file: {} (gzip stream cut short?)",
                 path.string(), message != nullptr ? message : "gzip read error");
  return raw;
}

struct NiftiImageDeleter {
  void operator()(nifti_image* image) const { nifti_image_free(image); }
};
using NiftiImagePtr = std::unique_ptr<nifti_image, NiftiImageDeleter>;

template <class T>
void scale_and_transpose(const void* raw, const std::array<std::size_t, 4>& n, double slope,
                         double inter, bool scaled, std::vector<float>& out) {
  const T* in = static_cast<const T*>(raw);
  std::size_t f = 0;  // Fortran-order (x fastest) index into the file's voxels
  for (std::size_t t = 0; t < n[3]; ++t) {
    for (std::size_t k = 0; k < n[2]; ++k) {
      for (std::size_t j = 0; j < n[1]; ++j) {
        for (std::size_t i = 0; i < n[0]; ++i, ++f) {
          const double value = static_cast<double>(in[f]);
          out[((i * n[1] + j) * n[2] + k) * n[3] + t] =
              static_cast<float>(scaled ? value * slope + inter : value);
        }
      }
    }
  }
}

template <class T>
void fill_storage(const fs::path& path, const std::vector<float>& c_order,
                  const std::array<std::size_t, 4>& n, void* raw) {
  T* out = static_cast<T*>(raw);
  std::size_t f = 0;
  for (std::size_t t = 0; t < n[3]; ++t) {
    for (std::size_t k = 0; k < n[2]; ++k) {
      for (std::size_t j = 0; j < n[1]; ++j) {
        for (std::size_t i = 0; i < n[0]; ++i, ++f) {
          const std::size_t c = ((i * n[1] + j) * n[2] + k) * n[3] + t;
          const float value = c_order[c];
          if constexpr (std::is_integral_v<T>) {
            const double rounded = std::nearbyint(static_cast<double>(value));
            SEGBENCH_CHECK(std::isfinite(value) &&
                               rounded >= static_cast<double>(std::numeric_limits<T>::min()) &&
                               rounded <= static_cast<double>(std::numeric_limits<T>::max()),
                           DataError,
                           "{}: value {} at flat index {} does not fit the storage type "
                           "(expected [{}, {}])",
                           path.string(), value, c, +std::numeric_limits<T>::min(),
                           +std::numeric_limits<T>::max());
            out[f] = static_cast<T>(rounded);
          } else {
            out[f] = static_cast<T>(value);
          }
        }
      }
    }
  }
}

}  // namespace

std::size_t NiftiVolume::numel() const {
  std::size_t count = 1;
  for (auto d : shape) count *= d;
  return count;
}

NiftiVolume read_nifti(const fs::path& path) {
  SEGBENCH_CHECK(fs::exists(path), DataError, "{}: NIfTI file does not exist", path.string());
  GzFilePtr file(gzopen(path.c_str(), "rb"));
  SEGBENCH_CHECK(file != nullptr, DataError, "{}: cannot open NIfTI file", path.string());
  const HeaderSummary header = check_header(file.get(), path);
  const std::size_t header_size = header.version == 1 ? kNifti1HeaderSize : kNifti2HeaderSize;
  std::vector<unsigned char> raw = read_voxels(file.get(), path, header, header_size);
  if (header.swapped) {
    for (std::size_t offset = 0; offset < raw.size(); offset += header.item_size)
      std::reverse(raw.begin() + static_cast<std::ptrdiff_t>(offset),
                   raw.begin() + static_cast<std::ptrdiff_t>(offset + header.item_size));
  }

  NiftiVolume volume;
  volume.datatype = header.datatype;
  std::array<std::size_t, 4> n{1, 1, 1, 1};
  for (std::int64_t a = 0; a < header.ndim; ++a) {
    n[a] = static_cast<std::size_t>(header.dim[a + 1]);
    volume.shape.push_back(n[a]);
  }
  volume.spacing = header.spacing;
  const double slope = header.slope;
  const double inter = header.inter;
  const bool scaled = slope != 0.0 && std::isfinite(slope);
  const void* data = raw.data();
  volume.data.resize(volume.numel());
  switch (header.datatype) {
    case DT_UINT8:
      scale_and_transpose<std::uint8_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_INT8:
      scale_and_transpose<std::int8_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_INT16:
      scale_and_transpose<std::int16_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_UINT16:
      scale_and_transpose<std::uint16_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_INT32:
      scale_and_transpose<std::int32_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_UINT32:
      scale_and_transpose<std::uint32_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_INT64:
      scale_and_transpose<std::int64_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_UINT64:
      scale_and_transpose<std::uint64_t>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_FLOAT32:
      scale_and_transpose<float>(data, n, slope, inter, scaled, volume.data);
      break;
    case DT_FLOAT64:
      scale_and_transpose<double>(data, n, slope, inter, scaled, volume.data);
      break;
    default:
      break;  // rejected by check_header
  }
  return volume;
}

namespace {

/// The bytes a written .nii or .nii.gz file yields when read back (decompressed); 0 when the
/// gzip stream is damaged or cut short.
std::uintmax_t readable_nifti_bytes(const fs::path& file, bool gzipped) {
  std::error_code ec;
  if (!gzipped) {
    const std::uintmax_t size = fs::file_size(file, ec);
    return ec ? 0 : size;
  }
  gzFile in = gzopen(file.c_str(), "rb");
  if (in == nullptr) return 0;
  std::vector<char> buffer(std::size_t{1} << 20);
  std::uintmax_t total = 0;
  int n = 0;
  while ((n = gzread(in, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) total += n;
  int status = Z_OK;
  gzerror(in, &status);
  const bool clean = n == 0 && (status == Z_OK || status == Z_STREAM_END);
  gzclose(in);
  return clean ? total : 0;
}

}  // namespace

void write_nifti(const fs::path& path, const std::vector<std::size_t>& shape,
                 const std::array<double, 3>& spacing, const std::vector<float>& data_c_order,
                 NiftiStorage storage) {
  SEGBENCH_CHECK(shape.size() == 3 || shape.size() == 4, DataError,
                 "{}: expected a 3-D or 4-D shape, found {} dims", path.string(), shape.size());
  std::array<std::size_t, 4> n{1, 1, 1, 1};
  std::size_t count = 1;
  for (std::size_t a = 0; a < shape.size(); ++a) {
    SEGBENCH_CHECK(shape[a] > 0 && shape[a] <= static_cast<std::size_t>(INT16_MAX), DataError,
                   "{}: expected shape[{}] in [1, 32767] for NIfTI-1, found {}", path.string(), a,
                   shape[a]);
    n[a] = shape[a];
    count *= shape[a];
  }
  SEGBENCH_CHECK(data_c_order.size() == count, DataError,
                 "{}: expected {} values for the shape, found {}", path.string(), count,
                 data_c_order.size());
  const int datatype = storage == NiftiStorage::int16   ? DT_INT16
                       : storage == NiftiStorage::uint8 ? DT_UINT8
                                                        : DT_FLOAT32;
  std::int64_t dims[8] = {static_cast<std::int64_t>(shape.size()), 1, 1, 1, 1, 1, 1, 1};
  for (std::size_t a = 0; a < shape.size(); ++a) dims[a + 1] = static_cast<std::int64_t>(shape[a]);
  NiftiImagePtr image(nifti_make_new_nim(dims, datatype, 1));
  SEGBENCH_CHECK(image && image->data, DataError, "{}: nifticlib could not allocate the image",
                 path.string());
  switch (storage) {
    case NiftiStorage::int16:
      fill_storage<std::int16_t>(path, data_c_order, n, image->data);
      break;
    case NiftiStorage::uint8:
      fill_storage<std::uint8_t>(path, data_c_order, n, image->data);
      break;
    case NiftiStorage::float32:
      fill_storage<float>(path, data_c_order, n, image->data);
      break;
  }

  image->nifti_type = NIFTI_FTYPE_NIFTI1_1;
  image->dx = image->pixdim[1] = spacing[0];
  image->dy = image->pixdim[2] = spacing[1];
  image->dz = image->pixdim[3] = spacing[2];
  image->xyz_units = NIFTI_UNITS_MM;
  image->scl_slope = 1.0;
  image->scl_inter = 0.0;
  image->qform_code = NIFTI_XFORM_SCANNER_ANAT;
  image->quatern_b = image->quatern_c = image->quatern_d = 0.0;
  image->qoffset_x = image->qoffset_y = image->qoffset_z = 0.0;
  image->qfac = 1.0;
  image->qto_xyz = nifti_quatern_to_dmat44(0, 0, 0, 0, 0, 0, spacing[0], spacing[1], spacing[2], 1);
  image->sform_code = NIFTI_XFORM_SCANNER_ANAT;
  image->sto_xyz = image->qto_xyz;

  // nifticlib decides compression from the extension, so the temporary name keeps it.
  const std::string name = path.filename().string();
  const fs::path temp = temporary_sibling(path, name.ends_with(".nii.gz") ? ".nii.gz" : ".nii");
  SEGBENCH_CHECK(nifti_set_filenames(image.get(), temp.c_str(), 0, 1) == 0, DataError,
                 "{}: nifticlib rejected the temporary file name {}", path.string(), temp.string());
  nifti_image_write(image.get());
  // nifticlib reports no write failure (a full disk leaves a short or torn file), so the
  // temporary file is read back and must hold the whole header and every voxel.
  const std::uintmax_t expected =
      static_cast<std::uintmax_t>(std::max<std::int64_t>(image->iname_offset, 352)) +
      static_cast<std::uintmax_t>(image->nvox) * static_cast<std::uintmax_t>(image->nbyper);
  std::error_code ec;
  const std::uintmax_t on_disk = fs::exists(temp, ec) ? fs::file_size(temp, ec) : 0;
  const std::size_t allowed = injected_write_allowance(path, static_cast<std::size_t>(on_disk));
  if (allowed < on_disk) fs::resize_file(temp, allowed, ec);  // what a full disk would leave
  const std::uintmax_t readable = ec ? 0 : readable_nifti_bytes(temp, name.ends_with(".gz"));
  if (readable != expected) {
    fs::remove(temp, ec);
    throw DataError(fmt::format(
        "{}: cannot write: nifticlib wrote an incomplete volume ({} of {} bytes readable): {}; "
        "the temporary file was removed and nothing was written under that name",
        path.string(), readable, expected,
        allowed < on_disk ? "No space left on device (injected by SEGBENCH_FAULT_INJECT)"
                          : "disk full or I/O error"));
  }
  try {
    CheckedFile written(temp, CheckedFile::Mode::existing, path);
    written.sync();
    written.close();
  } catch (const DataError&) {
    fs::remove(temp, ec);
    throw;
  }
  move_into_place(temp, path);
}

}  // namespace segbench::io
