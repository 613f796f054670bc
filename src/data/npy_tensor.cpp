#include "segbench/data/npy_tensor.hpp"

#include "segbench/error.hpp"

#include <ATen/ATen.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace segbench {

namespace {

at::ScalarType torch_dtype(io::NpyDtype dtype) {
  switch (dtype) {
    case io::NpyDtype::float32:
      return at::kFloat;
    case io::NpyDtype::float64:
      return at::kDouble;
    case io::NpyDtype::uint8:
      return at::kByte;
    case io::NpyDtype::int8:
      return at::kChar;
    case io::NpyDtype::int16:
      return at::kShort;
    case io::NpyDtype::int32:
      return at::kInt;
    case io::NpyDtype::int64:
      return at::kLong;
    case io::NpyDtype::boolean:
      return at::kBool;
    case io::NpyDtype::uint16:
      break;  // widened by the caller
  }
  throw DataError(fmt::format("npy dtype {} has no torch equivalent", io::to_string(dtype)));
}

}  // namespace

at::Tensor to_tensor(io::NpyArray&& array) {
  const std::vector<int64_t> sizes(array.shape.begin(), array.shape.end());
  SEGBENCH_CHECK(array.bytes.size() == array.numel() * io::item_size(array.dtype), DataError,
                 "npy array of dtype {} and {} elements holds {} bytes, expected {}",
                 io::to_string(array.dtype), array.numel(), array.bytes.size(),
                 array.numel() * io::item_size(array.dtype));

  if (array.dtype == io::NpyDtype::uint16) {
    auto widened = at::empty(sizes, at::TensorOptions().dtype(at::kInt));
    const auto* source = array.data<std::uint16_t>();
    auto* target = widened.data_ptr<int32_t>();
    for (std::size_t i = 0; i < array.numel(); ++i) target[i] = source[i];
    return widened;
  }

  const auto options = at::TensorOptions().dtype(torch_dtype(array.dtype));
  if (array.numel() == 0) return at::empty(sizes, options);
  // The tensor keeps the bytes alive through the deleter; no copy of the volume is made.
  auto owner = std::make_shared<std::vector<std::byte>>(std::move(array.bytes));
  void* data = owner->data();
  return at::from_blob(
      data, sizes, [owner](void*) mutable { owner.reset(); }, options);
}

at::Tensor read_npy_tensor(const std::filesystem::path& path) {
  io::NpyArray array = io::read_npy(path);
  try {
    return to_tensor(std::move(array));
  } catch (const DataError& e) {
    throw DataError(fmt::format("{}: {}", path.string(), e.what()));
  }
}

void write_npy_tensor(const std::filesystem::path& path, const at::Tensor& tensor) {
  io::NpyDtype dtype{};
  switch (tensor.scalar_type()) {
    case at::kFloat:
      dtype = io::NpyDtype::float32;
      break;
    case at::kDouble:
      dtype = io::NpyDtype::float64;
      break;
    case at::kByte:
      dtype = io::NpyDtype::uint8;
      break;
    case at::kChar:
      dtype = io::NpyDtype::int8;
      break;
    case at::kShort:
      dtype = io::NpyDtype::int16;
      break;
    case at::kInt:
      dtype = io::NpyDtype::int32;
      break;
    case at::kLong:
      dtype = io::NpyDtype::int64;
      break;
    case at::kBool:
      dtype = io::NpyDtype::boolean;
      break;
    default:
      throw DataError(fmt::format(
          "cannot write {}: tensor dtype {} has no .npy mapping here (expected float32, "
          "float64, uint8, int8, int16, int32, int64 or bool)",
          path.string(), c10::toString(tensor.scalar_type())));
  }
  const at::Tensor cpu = tensor.cpu().contiguous();
  const std::vector<std::size_t> shape(cpu.sizes().begin(), cpu.sizes().end());
  io::write_npy(path, dtype, shape, cpu.data_ptr());
}

std::string numpy_dtype_name(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return "float32";
    case at::kDouble:
      return "float64";
    case at::kByte:
      return "uint8";
    case at::kChar:
      return "int8";
    case at::kShort:
      return "int16";
    case at::kInt:
      return "int32";
    case at::kLong:
      return "int64";
    case at::kBool:
      return "bool";
    default:
      return c10::toString(type);
  }
}

void require_finite(const at::Tensor& tensor, const std::filesystem::path& file,
                    std::string_view what) {
  if (!at::isFloatingType(tensor.scalar_type())) return;
  const at::Tensor finite = at::isfinite(tensor);
  if (finite.all().item<bool>()) return;
  const int64_t nan = at::isnan(tensor).sum().item<int64_t>();
  const int64_t bad = finite.numel() - finite.sum().item<int64_t>();
  const int64_t first = at::logical_not(finite).reshape(-1).nonzero()[0][0].item<int64_t>();
  throw DataError(
      fmt::format("{}: {} holds {} NaN and {} infinite values (the first at flat "
                  "index {}); fix or remove the file",
                  file.string(), what, nan, bad - nan, first));
}

}  // namespace segbench
