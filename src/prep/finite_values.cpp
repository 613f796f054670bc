#include "segbench/prep/finite_values.hpp"

#include <fmt/format.h>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::prep {

NonFiniteValues find_non_finite(std::span<const float> values, std::size_t offset,
                                std::size_t stride) {
  NonFiniteValues found;
  for (std::size_t i = offset; i < values.size(); i += stride) {
    if (std::isfinite(values[i])) continue;
    if (found.count++ == 0) {
      found.first_index = i;
      found.first_value = values[i];
    }
  }
  return found;
}

std::string describe_non_finite(const NonFiniteValues& found, const std::string& index_text) {
  return fmt::format(
      "{} non-finite value(s) (first: {} at {})", found.count, found.first_value,
      index_text.empty() ? fmt::format("flat index {}", found.first_index) : index_text);
}

std::string nifti_voxel_text(const NonFiniteValues& found) {
  return fmt::format("voxel {} in file order", found.first_index);
}

namespace {

template <class T>
T field(const unsigned char* bytes, std::size_t offset, bool swapped) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, bytes + offset, sizeof(T));
  if (swapped) std::reverse(raw, raw + sizeof(T));
  T value;
  std::memcpy(&value, raw, sizeof(T));
  return value;
}

template <class T>
void scan(const unsigned char* bytes, std::size_t count, bool swapped, std::size_t first,
          NonFiniteValues& found) {
  for (std::size_t i = 0; i < count; ++i) {
    const T v = field<T>(bytes, i * sizeof(T), swapped);
    if (std::isfinite(v)) continue;
    if (found.count++ == 0) {
      found.first_index = first + i;
      found.first_value = static_cast<float>(v);
    }
  }
}

}  // namespace

NonFiniteValues find_non_finite_in_nifti(const std::filesystem::path& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> in(gzopen(path.c_str(), "rb"), gzclose);
  SEGBENCH_CHECK(in != nullptr, DataError, "{}: cannot open", path.string());
  unsigned char header[540];
  const int got = gzread(in.get(), header, sizeof(header));
  SEGBENCH_CHECK(got >= 348, DataError, "{}: not a NIfTI file (only {} bytes)", path.string(), got);
  const auto size1 = field<std::int32_t>(header, 0, false);
  const bool nifti2 = size1 == 540 || field<std::int32_t>(header, 0, true) == 540;
  const bool swapped = size1 != (nifti2 ? 540 : 348);
  SEGBENCH_CHECK(field<std::int32_t>(header, 0, swapped) == (nifti2 ? 540 : 348), DataError,
                 "{}: not a NIfTI file (sizeof_hdr {})", path.string(), size1);
  const auto datatype = field<std::int16_t>(header, nifti2 ? 12 : 70, swapped);
  std::uint64_t voxels = 1;
  for (int a = 1; a <= 7; ++a) {
    const std::int64_t ndim = nifti2 ? field<std::int64_t>(header, 16, swapped)
                                     : field<std::int16_t>(header, 40, swapped);
    if (a > ndim) break;
    const std::int64_t d = nifti2 ? field<std::int64_t>(header, 16 + 8 * a, swapped)
                                  : field<std::int16_t>(header, 40 + 2 * a, swapped);
    voxels *= static_cast<std::uint64_t>(std::max<std::int64_t>(d, 1));
  }
  const auto vox_offset = static_cast<std::uint64_t>(
      nifti2 ? static_cast<double>(field<std::int64_t>(header, 168, swapped))
             : static_cast<double>(field<float>(header, 108, swapped)));
  NonFiniteValues found;
  const std::size_t item = datatype == 16 ? 4 : datatype == 64 ? 8 : 0;  // DT_FLOAT32/64
  if (item == 0) return found;
  SEGBENCH_CHECK(gzseek(in.get(), static_cast<z_off_t>(vox_offset), SEEK_SET) >= 0, DataError,
                 "{}: cannot seek to the voxels at {}", path.string(), vox_offset);
  std::vector<unsigned char> buffer(item << 20);
  std::uint64_t done = 0;
  while (done < voxels) {
    const auto want =
        static_cast<unsigned>(std::min<std::uint64_t>(voxels - done, buffer.size() / item) * item);
    const int read = gzread(in.get(), buffer.data(), want);
    SEGBENCH_CHECK(read == static_cast<int>(want), DataError,
                   "{}: truncated: {} of {} voxels readable", path.string(), done, voxels);
    const std::size_t count = want / item;
    if (item == 4)
      scan<float>(buffer.data(), count, swapped, done, found);
    else
      scan<double>(buffer.data(), count, swapped, done, found);
    done += count;
  }
  return found;
}

}  // namespace segbench::prep
