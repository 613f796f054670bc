// The buffers MPI gets (dist/mpi_staging.hpp): in place, a dense copy, or a pinned host copy of
// a GPU tensor for an MPI that is not CUDA-aware; the result put back by finish(). Runs on the
// CPU here and on every CUDA device of test_devices().
#include "catch_torch.hpp"

#include <ATen/ATen.h>

#include <optional>
#include <string_view>

#include "segbench/dist/mpi_staging.hpp"
#include "segbench/error.hpp"
#include "support/test_devices.hpp"

using namespace segbench;
using segbench::test::test_devices;

TEST_CASE("mpi_buffer_for: in place only where MPI can read the memory", "[dist]") {
  CHECK(mpi_buffer_for(true, true, false) == MpiBuffer::in_place);
  CHECK(mpi_buffer_for(true, true, true) == MpiBuffer::in_place);
  CHECK(mpi_buffer_for(true, false, false) == MpiBuffer::contiguous_copy);
  CHECK(mpi_buffer_for(false, true, true) == MpiBuffer::in_place);
  CHECK(mpi_buffer_for(false, false, true) == MpiBuffer::contiguous_copy);
  CHECK(mpi_buffer_for(false, true, false) == MpiBuffer::pinned_host_copy);
  CHECK(mpi_buffer_for(false, false, false) == MpiBuffer::pinned_host_copy);
}

TEST_CASE("cuda_aware_mpi: SEGBENCH_MPI_CUDA_AWARE overrides what the MPI reports", "[dist]") {
  CHECK(cuda_aware_mpi(std::nullopt, true));
  CHECK_FALSE(cuda_aware_mpi(std::nullopt, false));
  CHECK(cuda_aware_mpi(std::string_view(""), true));
  CHECK(cuda_aware_mpi(std::string_view("1"), false));
  CHECK_FALSE(cuda_aware_mpi(std::string_view("0"), true));
  CHECK_THROWS_AS(cuda_aware_mpi(std::string_view("yes"), false), ConfigError);
}

TEST_CASE("MpiStagedTensor: MPI's writes reach the tensor whatever the buffer", "[dist]") {
  for (const c10::Device& device : test_devices()) {
    for (const bool cuda_aware : {false, true}) {
      for (const bool contiguous : {true, false}) {
        INFO("on " << device << (cuda_aware ? ", CUDA-aware" : "")
                   << (contiguous ? "" : ", non-contiguous"));
        const at::Tensor base = at::arange(12, at::TensorOptions(device).dtype(at::kFloat));
        // A transposed view is non-contiguous: its copy must be written back element-wise.
        at::Tensor tensor = contiguous ? base.view({3, 4}) : base.view({4, 3}).t();
        MpiStagedTensor staged(tensor, cuda_aware);
        const MpiBuffer expected = mpi_buffer_for(device.is_cpu(), contiguous, cuda_aware);
        CHECK(staged.kind() == expected);
        const at::Tensor& buffer = staged.buffer();
        CHECK(buffer.is_contiguous());
        CHECK(buffer.sizes() == tensor.sizes());
        CHECK((buffer.data_ptr() == tensor.data_ptr()) == (expected == MpiBuffer::in_place));
        if (expected == MpiBuffer::pinned_host_copy) {
          CHECK(buffer.device().is_cpu());
          CHECK(buffer.is_pinned());
        } else {
          CHECK(buffer.device() == device);
        }
        // What MPI does: reads the values and writes a result into the buffer (host memory
        // through a pointer; device memory by a kernel here).
        CHECK(at::equal(buffer.cpu(), tensor.cpu()));
        buffer.mul_(10);
        staged.finish();
        CHECK(at::equal(
            tensor.cpu(),
            (contiguous ? at::arange(12.0).view({3, 4}) : at::arange(12.0).view({4, 3}).t()) * 10));
      }
    }
  }
}
