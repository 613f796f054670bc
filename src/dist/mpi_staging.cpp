#include "segbench/dist/mpi_staging.hpp"

#include <ATen/ATen.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "segbench/error.hpp"

namespace segbench {

MpiBuffer mpi_buffer_for(bool on_host, bool contiguous, bool cuda_aware) {
  if (!on_host && !cuda_aware) return MpiBuffer::pinned_host_copy;
  return contiguous ? MpiBuffer::in_place : MpiBuffer::contiguous_copy;
}

bool cuda_aware_mpi(std::optional<std::string_view> override_value, bool reported) {
  if (!override_value || override_value->empty()) return reported;
  if (*override_value == "1") return true;
  if (*override_value == "0") return false;
  throw ConfigError(fmt::format("SEGBENCH_MPI_CUDA_AWARE must be 0 or 1, got '{}'",
                                std::string(*override_value)));
}

MpiStagedTensor::MpiStagedTensor(const at::Tensor& tensor, bool cuda_aware)
    : tensor_(tensor),
      kind_(mpi_buffer_for(tensor.device().is_cpu(), tensor.is_contiguous(), cuda_aware)) {
  switch (kind_) {
    case MpiBuffer::in_place:
      buffer_ = tensor;
      break;
    case MpiBuffer::contiguous_copy:
      buffer_ = tensor.contiguous();
      break;
    case MpiBuffer::pinned_host_copy:
      // A blocking copy: the host buffer holds the result of every kernel queued before it.
      buffer_ = at::empty(tensor.sizes(),
                          tensor.options().device(at::kCPU).pinned_memory(true).memory_format(
                              at::MemoryFormat::Contiguous));
      buffer_.copy_(tensor);
      return;
  }
  if (!tensor.device().is_cpu()) {
    // CUDA-aware MPI reads device memory directly: the kernels that wrote it must be done.
    const c10::impl::VirtualGuardImpl guard(tensor.device().type());
    guard.synchronizeStream(guard.getStream(tensor.device()));
  }
}

void MpiStagedTensor::finish() {
  if (kind_ != MpiBuffer::in_place) tensor_.copy_(buffer_);
}

}  // namespace segbench
