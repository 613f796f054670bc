// .npy files as ATen tensors (tensor tier). The bytes come from io::read_npy / go to
// io::write_npy; this header only maps dtypes and shapes.
#pragma once

#include "segbench/io/npy.hpp"

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace segbench {

/// Takes ownership of the array's bytes without copying them. uint16 (which LibTorch 1.13
/// lacks) is widened to int32; every other npy dtype maps to its torch equal.
at::Tensor to_tensor(io::NpyArray&& array);

/// numpy's name of a tensor dtype ("float32", "uint8", ...), for messages about .npy files.
std::string numpy_dtype_name(at::ScalarType type);

/// read_npy + to_tensor; errors name the file.
at::Tensor read_npy_tensor(const std::filesystem::path& path);

/// DataError naming `file` and `what` when a floating tensor holds NaN or infinite values (a
/// training or validation volume with them would turn the loss or the quality into NaN).
void require_finite(const at::Tensor& tensor, const std::filesystem::path& file,
                    std::string_view what);

/// Writes a CPU copy of `tensor` in C order. Throws DataError naming the file for dtypes
/// that .npy cannot hold here (float16, bfloat16, complex, ...).
void write_npy_tensor(const std::filesystem::path& path, const at::Tensor& tensor);

}  // namespace segbench
