// libFuzzer target: io::H5Reader as Cam5Hdf5Dataset::get reads a sample (climate/data as
// float32, climate/labels_0 as int64), plus list_datasets, on HDF5 files that libhdf5 itself
// wrote from the fuzz input and that are then damaged the way real files get damaged.
//
// The input picks, for each of the two datasets: missing, a group, a soft link (to the other
// one, which may dangle, or to itself), an external link to a missing file, or a dataset of
// any element type (floats and integers of both byte orders, float16, strings, compounds,
// enums, bitfields, 3-byte integers), dataspace (scalar, null, rank 1-4 with zero extents)
// and layout (compact, contiguous, chunked with deflate, shuffle or fletcher32, or never
// written); then link cycles and deep nesting; then the damage: a truncated file, a dataspace
// message (of a compact or contiguous dataset) claiming another shape, and overwritten raw
// data (chunks included, so deflate and checksums see it).
//
// Why not raw bytes: libhdf5 1.10 trusts its own metadata (B-trees, local heaps, object
// headers) and, fed arbitrary bytes, loops or allocates without bound inside the library (a
// local-heap free list that points back into itself grows without end; upstream issue #5382
// reports the same free-list decoding reading out of bounds). Those are libhdf5's defects,
// not the reader's, and made a raw-byte campaign's outcome depend on the build.
// fuzz_hdf5_bytes keeps the raw-byte target for campaigns by hand and replays
// tests/data/fuzz-regressions/hdf5_bytes in every sanitize run.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "read_cam5_sample.hpp"

namespace {

constexpr std::size_t kMaxElements = 512;

/// Closes an HDF5 id at scope exit (the harness's own writer side).
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
};

/// An element type the input picks; -1 when libhdf5 refuses to build it (then the input is
/// skipped).
hid_t make_type(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 17)) {
    case 0:
      return H5Tcopy(H5T_IEEE_F32LE);
    case 1:
      return H5Tcopy(H5T_IEEE_F32BE);
    case 2:
      return H5Tcopy(H5T_IEEE_F64LE);
    case 3:
      return H5Tcopy(H5T_IEEE_F64BE);
    case 4: {  // IEEE half, as h5py writes float16
      const hid_t half = H5Tcopy(H5T_IEEE_F32LE);
      if (H5Tset_fields(half, 15, 10, 5, 0, 10) < 0 || H5Tset_size(half, 2) < 0 ||
          H5Tset_ebias(half, 15) < 0) {
        H5Tclose(half);
        return -1;
      }
      return half;
    }
    case 5:
      return H5Tcopy(H5T_STD_I8LE);
    case 6:
      return H5Tcopy(H5T_STD_U8LE);
    case 7:
      return H5Tcopy(H5T_STD_I16BE);
    case 8:
      return H5Tcopy(H5T_STD_U16LE);
    case 9:
      return H5Tcopy(H5T_STD_I32LE);
    case 10:
      return H5Tcopy(H5T_STD_U32BE);
    case 11:
      return H5Tcopy(H5T_STD_I64LE);
    case 12:
      return H5Tcopy(H5T_STD_U64LE);
    case 13: {
      const hid_t text = H5Tcopy(H5T_C_S1);
      H5Tset_size(text, in.ConsumeIntegralInRange<std::size_t>(1, 8));
      return text;
    }
    case 14: {
      const hid_t pair = H5Tcreate(H5T_COMPOUND, 8);
      H5Tinsert(pair, "a", 0, H5T_STD_I32LE);
      H5Tinsert(pair, "b", 4, H5T_IEEE_F32LE);
      return pair;
    }
    case 15: {
      const hid_t labels = H5Tenum_create(H5T_STD_I32LE);
      for (int value = 0; value < 3; ++value) {
        const std::string name = "class" + std::to_string(value);
        H5Tenum_insert(labels, name.c_str(), &value);
      }
      return labels;
    }
    case 16:
      return H5Tcopy(H5T_STD_B8LE);
    default: {  // a 3-byte integer
      const hid_t odd = H5Tcopy(H5T_STD_I32LE);
      if (H5Tset_precision(odd, 24) < 0 || H5Tset_size(odd, 3) < 0) {
        H5Tclose(odd);
        return -1;
      }
      return odd;
    }
  }
}

/// A byte range of the file holding a dataset's raw data.
struct RawRange {
  haddr_t offset;
  hsize_t size;
};

/// Where to find a contiguous or compact dataset's dataspace message after the file is closed.
struct SpaceMessage {
  std::vector<hsize_t> dims;
};

struct Written {
  std::vector<RawRange> raw;
  std::vector<SpaceMessage> spaces;
};

/// Writes one dataset at `name` as the input says; false when libhdf5 refuses the combination.
bool write_dataset(FuzzedDataProvider& in, hid_t file, const char* name, Written& written) {
  const Id type{make_type(in), H5Tclose};
  if (type.id < 0) return false;
  const std::size_t element = H5Tget_size(type.id);

  const int space_kind = in.ConsumeIntegralInRange(0, 9);  // 8 scalar, 9 null, else simple
  std::vector<hsize_t> dims;
  hid_t space_id = -1;
  if (space_kind == 8) {
    space_id = H5Screate(H5S_SCALAR);
  } else if (space_kind == 9) {
    space_id = H5Screate(H5S_NULL);
  } else {
    const int rank = in.ConsumeIntegralInRange(1, 4);
    std::size_t numel = 1;
    for (int d = 0; d < rank; ++d) {
      dims.push_back(in.ConsumeIntegralInRange<hsize_t>(0, 9));
      numel *= dims.back();
    }
    if (numel > kMaxElements) return false;
    space_id = H5Screate_simple(rank, dims.data(), nullptr);
  }
  const Id space{space_id, H5Sclose};
  if (space.id < 0) return false;
  const auto numel = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id));

  const Id create{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  const int layout = in.ConsumeIntegralInRange(0, 2);  // contiguous, compact, chunked
  if (layout == 1) {
    H5Pset_layout(create.id, H5D_COMPACT);
  } else if (layout == 2) {
    if (dims.empty()) return false;
    std::vector<hsize_t> chunk;
    for (const hsize_t d : dims)
      chunk.push_back(in.ConsumeIntegralInRange<hsize_t>(1, std::max<hsize_t>(d, 1)));
    if (H5Pset_chunk(create.id, static_cast<int>(chunk.size()), chunk.data()) < 0) return false;
    if (in.ConsumeBool()) H5Pset_shuffle(create.id);
    if (in.ConsumeBool()) H5Pset_deflate(create.id, in.ConsumeIntegralInRange(1, 9));
    if (in.ConsumeBool()) H5Pset_fletcher32(create.id);
  }
  const Id dataset{H5Dcreate2(file, name, type.id, space.id, H5P_DEFAULT, create.id, H5P_DEFAULT),
                   H5Dclose};
  if (dataset.id < 0) return false;

  const bool write_values = numel > 0 && in.ConsumeIntegralInRange(0, 7) != 7;  // else fill
  if (write_values) {
    std::vector<std::uint8_t> values = in.ConsumeBytes<std::uint8_t>(numel * element);
    values.resize(numel * element, 0);
    if (H5Dwrite(dataset.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
      return false;
  }
  if (layout == 0) {
    const haddr_t offset = H5Dget_offset(dataset.id);
    if (offset != HADDR_UNDEF) written.raw.push_back({offset, H5Dget_storage_size(dataset.id)});
  } else if (layout == 2) {
    hsize_t chunks = 0;
    if (H5Dget_num_chunks(dataset.id, H5S_ALL, &chunks) >= 0) {
      for (hsize_t index = 0; index < chunks; ++index) {
        unsigned mask = 0;
        haddr_t address = HADDR_UNDEF;
        hsize_t bytes = 0;
        if (H5Dget_chunk_info(dataset.id, H5S_ALL, index, nullptr, &mask, &address, &bytes) >= 0 &&
            address != HADDR_UNDEF)
          written.raw.push_back({address, bytes});
      }
    }
  }
  // Chunked datasets' dims also size their chunk index; a claimed shape there is out of scope.
  // Extents of 0 or 1 alone would match too many other bytes of the object header.
  const bool distinctive = std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d > 1; });
  if (layout != 2 && distinctive) written.spaces.push_back({dims});
  return true;
}

/// The object at `name`: a dataset, nothing, a group, or a link of some kind.
bool write_object(FuzzedDataProvider& in, hid_t file, const char* name, const char* other,
                  Written& written) {
  switch (in.ConsumeIntegralInRange(0, 11)) {
    case 7:
      return true;  // missing
    case 8: {
      const Id group{H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
      return group.id >= 0;
    }
    case 9:  // a soft link to the other dataset (which may not exist: dangling)
      return H5Lcreate_soft(other, file, name, H5P_DEFAULT, H5P_DEFAULT) >= 0;
    case 10:  // a soft link to itself
      return H5Lcreate_soft(name, file, name, H5P_DEFAULT, H5P_DEFAULT) >= 0;
    case 11:  // an external link to a file that is not there
      return H5Lcreate_external("segbench-fuzz-missing.h5", "/climate/data", file, name,
                                H5P_DEFAULT, H5P_DEFAULT) >= 0;
    default:
      return write_dataset(in, file, name, written);
  }
}

/// Groups that loop back or nest deeper than list_datasets walks.
void write_structure(FuzzedDataProvider& in, hid_t file) {
  if (in.ConsumeProbability<float>() > 0.9f)
    H5Lcreate_hard(file, "/", file, "/climate/root_again", H5P_DEFAULT, H5P_DEFAULT);
  if (in.ConsumeProbability<float>() > 0.9f) {
    const Id parents{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
    H5Pset_create_intermediate_group(parents.id, 1);
    std::string path = "/deep";
    for (int level = in.ConsumeIntegralInRange(1, 40); level > 0; --level) path += "/g";
    const Id group{H5Gcreate2(file, path.c_str(), parents.id, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  }
}

/// Replaces the first dataspace message holding `dims` (encoded as libhdf5 1.10 writes
/// version 1 and 2 messages: version, rank, flags, then 8-byte little-endian extents) with
/// the input's extents.
void claim_other_shape(FuzzedDataProvider& in, std::vector<std::uint8_t>& bytes,
                       const SpaceMessage& space) {
  std::vector<std::uint8_t> extents;
  for (const hsize_t d : space.dims)
    for (int byte = 0; byte < 8; ++byte)
      extents.push_back(static_cast<std::uint8_t>(d >> (8 * byte)));
  for (std::size_t at = 8; at + extents.size() <= bytes.size(); ++at) {
    if (!std::equal(extents.begin(), extents.end(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(at)))
      continue;
    const bool version1 = bytes[at - 8] == 1 && bytes[at - 7] == space.dims.size() &&
                          std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(at) - 5,
                                      bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                      [](std::uint8_t b) { return b == 0; });
    const bool version2 =
        bytes[at - 4] == 2 && bytes[at - 3] == space.dims.size() && bytes[at - 1] == 1;
    if (!version1 && !version2) continue;
    for (std::size_t d = 0; d < space.dims.size(); ++d) {
      const auto claimed = in.ConsumeBool() ? in.ConsumeIntegral<std::uint64_t>()
                                            : in.ConsumeIntegralInRange<std::uint64_t>(0, 64);
      for (int byte = 0; byte < 8; ++byte)
        bytes[at + 8 * d + static_cast<std::size_t>(byte)] =
            static_cast<std::uint8_t>(claimed >> (8 * byte));
    }
    return;
  }
}

void damage(FuzzedDataProvider& in, const std::filesystem::path& path, const Written& written) {
  std::vector<std::uint8_t> bytes;
  {
    std::ifstream file(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  for (const SpaceMessage& space : written.spaces)
    if (in.ConsumeProbability<float>() > 0.7f) claim_other_shape(in, bytes, space);
  for (const RawRange& range : written.raw) {
    for (int flips = in.ConsumeIntegralInRange(0, 3); flips > 0 && range.size > 0; --flips) {
      const auto at = range.offset + in.ConsumeIntegralInRange<hsize_t>(0, range.size - 1);
      if (at < bytes.size()) bytes[at] = in.ConsumeIntegral<std::uint8_t>();
    }
  }
  if (in.ConsumeProbability<float>() > 0.85f)
    bytes.resize(in.ConsumeIntegralInRange<std::size_t>(0, bytes.size()));
  segbench::fuzz::write_input(path, bytes.data(), bytes.size());
}

/// The file the input describes; false when libhdf5 would not write it. An exhausted input
/// (FuzzedDataProvider then gives 0, false and range minima) means CAM5's usual file: float32
/// contiguous datasets, written, undamaged.
bool build_file(FuzzedDataProvider& in, const std::filesystem::path& path) {
  Written written;
  {
    const Id access{H5Pcreate(H5P_FILE_ACCESS), H5Pclose};
    if (in.ConsumeBool()) H5Pset_libver_bounds(access.id, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    const Id file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.id), H5Fclose};
    if (file.id < 0) return false;
    if (in.ConsumeIntegralInRange(0, 9) != 9) {  // else "climate" is missing altogether
      const Id climate{H5Gcreate2(file.id, "/climate", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                       H5Gclose};
      if (climate.id < 0) return false;
      if (!write_object(in, file.id, "/climate/data", "/climate/labels_0", written) ||
          !write_object(in, file.id, "/climate/labels_0", "/climate/data", written))
        return false;
      write_structure(in, file.id);
    }
  }
  damage(in, path, written);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the harness's refused combinations are quiet
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = segbench::fuzz::scratch_file("input.h5");
  FuzzedDataProvider in(data, size);
  if (!build_file(in, path)) return -1;  // not added to the corpus
  segbench::fuzz::read_cam5_sample(path);
  return 0;
}
