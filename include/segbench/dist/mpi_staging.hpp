// How a tensor reaches MPI: in place when MPI can read it where it is, else through a copy
// (a contiguous one, or a pinned host buffer when the tensor is on a GPU and the MPI is not
// CUDA-aware). Tensor tier; no <mpi.h>, so the logic is tested without MPI.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <string_view>

namespace segbench {

enum class MpiBuffer {
  in_place,          ///< a contiguous host tensor, or device tensor for a CUDA-aware MPI
  contiguous_copy,   ///< a non-contiguous tensor: a dense copy on the same device
  pinned_host_copy,  ///< a device tensor and an MPI that only reads host memory
};

/// The buffer MPI gets for a tensor on the host or a device, contiguous or not.
MpiBuffer mpi_buffer_for(bool on_host, bool contiguous, bool cuda_aware);

/// SEGBENCH_MPI_CUDA_AWARE's value ("1" or "0": the site knows better than the query) or, when
/// unset or empty, what the MPI reported (OpenMPI's MPIX_Query_cuda_support). ConfigError for
/// any other value, naming the variable.
bool cuda_aware_mpi(std::optional<std::string_view> override_value, bool reported);

/// `tensor` staged for one MPI call: data() is what MPI reads and writes; finish() puts the
/// result back into `tensor` when the buffer is a copy. A device tensor's producers are waited
/// for first (MPI reads the memory outside any stream).
class MpiStagedTensor {
 public:
  MpiStagedTensor(const at::Tensor& tensor, bool cuda_aware);
  MpiBuffer kind() const { return kind_; }
  const at::Tensor& buffer() const { return buffer_; }
  void* data() const { return buffer_.data_ptr(); }
  /// Copies the buffer into the tensor (a no-op in place); call after MPI has finished.
  void finish();

 private:
  at::Tensor tensor_;
  at::Tensor buffer_;
  MpiBuffer kind_;
};

}  // namespace segbench
