// Writes the readers' fuzz seed corpora: small valid files of each format, made by segbench's
// own writers (nothing binary is committed). Usage: make_io_fuzz_seeds DIR; makes DIR/npy,
// DIR/nifti, DIR/nifti_gz and DIR/hdf5_bytes. (The checkpoint seed: make_checkpoint_fuzz_seed.)
#include <fmt/core.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <vector>

#include "segbench/io/hdf5.hpp"
#include "segbench/io/nifti.hpp"
#include "segbench/io/npy.hpp"

namespace fs = std::filesystem;
using namespace segbench;

namespace {

template <class T>
std::vector<T> ramp(std::size_t count) {
  std::vector<T> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<T>(i % 7);
  return values;
}

void npy_seeds(const fs::path& dir) {
  const std::vector<std::size_t> shape{2, 3, 4};
  io::write_npy(dir / "f32.npy", io::NpyDtype::float32, shape, ramp<float>(24).data());
  io::write_npy(dir / "f64.npy", io::NpyDtype::float64, shape, ramp<double>(24).data());
  io::write_npy(dir / "u8.npy", io::NpyDtype::uint8, shape, ramp<std::uint8_t>(24).data());
  io::write_npy(dir / "i16.npy", io::NpyDtype::int16, shape, ramp<std::int16_t>(24).data());
  io::write_npy(dir / "i64.npy", io::NpyDtype::int64, shape, ramp<std::int64_t>(24).data());
  const std::vector<std::size_t> scalar{};
  io::write_npy(dir / "scalar.npy", io::NpyDtype::int32, scalar, ramp<std::int32_t>(1).data());
}

void nifti_seeds(const fs::path& dir, const char* extension) {
  const std::array<double, 3> spacing{0.8, 0.8, 2.5};
  const std::vector<std::size_t> shape3{3, 2, 2}, shape4{2, 2, 2, 2};
  const auto values12 = ramp<float>(12), values16 = ramp<float>(16);
  io::write_nifti(dir / fmt::format("i16{}", extension), shape3, spacing, values12,
                  io::NiftiStorage::int16);
  io::write_nifti(dir / fmt::format("u8{}", extension), shape3, spacing, values12,
                  io::NiftiStorage::uint8);
  io::write_nifti(dir / fmt::format("f32_4d{}", extension), shape4, spacing, values16,
                  io::NiftiStorage::float32);
}

/// A CAM5 sample as Cam5Hdf5Dataset reads it, shrunk: climate/data (H, W, C) float32 and
/// climate/labels_0 (H, W) int32.
void hdf5_seeds(const fs::path& dir) {
  {
    io::H5Writer writer(dir / "cam5.h5");
    const std::vector<std::size_t> data_shape{4, 3, 2}, label_shape{4, 3};
    writer.write("climate/data", data_shape, std::span<const float>(ramp<float>(24)));
    writer.write("climate/labels_0", label_shape,
                 std::span<const std::int32_t>(ramp<std::int32_t>(12)));
    writer.commit();
  }
  {
    io::H5Writer writer(dir / "cam5_float_labels.h5");
    const std::vector<std::size_t> data_shape{2, 2, 1}, label_shape{2, 2};
    writer.write("climate/data", data_shape, std::span<const double>(ramp<double>(4)));
    writer.write("climate/labels_0", label_shape, std::span<const double>(ramp<double>(4)));
    writer.commit();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* sub : {"npy", "nifti", "nifti_gz", "hdf5_bytes"})
    fs::create_directories(root / sub);
  npy_seeds(root / "npy");
  nifti_seeds(root / "nifti", ".nii");
  nifti_seeds(root / "nifti_gz", ".nii.gz");
  hdf5_seeds(root / "hdf5_bytes");
  return 0;
}
