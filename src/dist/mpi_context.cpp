#include "segbench/dist/mpi_context.hpp"

#include <memory>

#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/preflight.hpp"
#include "segbench/error.hpp"

#include <ATen/ops/ones.h>
#include <mpi.h>

#include <fmt/format.h>

#include <climits>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace segbench {

static_assert(DistributedContext<MpiContext>);

namespace {

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return fmt::format("MPI error {}", code);
  return std::string(text, static_cast<std::size_t>(length));
}

void check_mpi(int code, int rank, int world, std::string_view operation) {
  SEGBENCH_CHECK(code == MPI_SUCCESS, DistributedError,
                 "rank {}/{}: MPI {} failed (a peer rank exited or is unreachable?): {}", rank,
                 world, operation, mpi_error_text(code));
}

MPI_Datatype sum_type(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat:
      return MPI_FLOAT;
    case at::kDouble:
      return MPI_DOUBLE;
    case at::kInt:
      return MPI_INT32_T;
    case at::kLong:
      return MPI_INT64_T;
    default:
      return MPI_DATATYPE_NULL;
  }
}

int checked_count(std::int64_t count, int rank, int world, std::string_view operation) {
  SEGBENCH_CHECK(count <= INT_MAX, DistributedError,
                 "rank {}/{}: MPI {}: at most {} elements per call, found {}", rank, world,
                 operation, INT_MAX, count);
  return static_cast<int>(count);
}

void check_cpu(const at::Tensor& tensor, int rank, int world, std::string_view operation) {
  SEGBENCH_CHECK(tensor.defined() && tensor.device().is_cpu(), DistributedError,
                 "rank {}/{}: MPI {} needs a defined CPU tensor, found {}", rank, world, operation,
                 tensor.defined() ? tensor.device().str() : std::string("an undefined tensor"));
}

}  // namespace

MpiContext::MpiContext() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    SEGBENCH_CHECK(code == MPI_SUCCESS, DistributedError, "MPI_Init_thread failed: {}",
                   mpi_error_text(code));
    owns_mpi_ = true;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &world_);

  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
            rank_, world_, "node split");
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_free(&node);
}

MpiContext::MpiContext(MpiContext&& other) noexcept
    : rank_(other.rank_),
      world_(other.world_),
      local_rank_(other.local_rank_),
      owns_mpi_(std::exchange(other.owns_mpi_, false)) {}

MpiContext& MpiContext::operator=(MpiContext&& other) noexcept {
  if (this != &other) {
    rank_ = other.rank_;
    world_ = other.world_;
    local_rank_ = other.local_rank_;
    owns_mpi_ = std::exchange(other.owns_mpi_, false) || owns_mpi_;
  }
  return *this;
}

MpiContext::~MpiContext() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (owns_mpi_ && !finalised) MPI_Finalize();
}

void MpiContext::allreduce_sum(at::Tensor& tensor) {
  check_cpu(tensor, rank_, world_, "allreduce");
  const MPI_Datatype type = sum_type(tensor.scalar_type());
  SEGBENCH_CHECK(type != MPI_DATATYPE_NULL, DistributedError,
                 "rank {}/{}: MPI allreduce supports float, double, int32 and int64, found {}",
                 rank_, world_, c10::toString(tensor.scalar_type()));
  at::Tensor dense = tensor.contiguous();
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, dense.data_ptr(),
                          checked_count(dense.numel(), rank_, world_, "allreduce"), type, MPI_SUM,
                          MPI_COMM_WORLD),
            rank_, world_, "allreduce");
  if (!dense.is_same(tensor)) tensor.copy_(dense);
}

PendingCollective MpiContext::allreduce_sum_async(at::Tensor& tensor) {
  check_cpu(tensor, rank_, world_, "allreduce");
  const MPI_Datatype type = sum_type(tensor.scalar_type());
  SEGBENCH_CHECK(type != MPI_DATATYPE_NULL && tensor.is_contiguous(), DistributedError,
                 "rank {}/{}: asynchronous MPI allreduce needs a contiguous float, double, int32 "
                 "or int64 tensor, found {}",
                 rank_, world_, c10::toString(tensor.scalar_type()));
  auto request = std::make_shared<MPI_Request>();
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, tensor.data_ptr(),
                           checked_count(tensor.numel(), rank_, world_, "allreduce"), type, MPI_SUM,
                           MPI_COMM_WORLD, request.get()),
            rank_, world_, "allreduce");
  return PendingCollective([request, rank = rank_, world = world_] {
    check_mpi(MPI_Wait(request.get(), MPI_STATUS_IGNORE), rank, world, "allreduce");
  });
}

double MpiContext::allreduce_sum(double value) {
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), rank_,
            world_, "allreduce");
  return value;
}

void MpiContext::broadcast(at::Tensor& tensor, int root) {
  SEGBENCH_CHECK(root >= 0 && root < world_, DistributedError,
                 "rank {}/{}: broadcast root must be in [0, {}), found {}", rank_, world_, world_,
                 root);
  check_cpu(tensor, rank_, world_, "broadcast");
  at::Tensor dense = tensor.contiguous();
  const auto bytes = static_cast<std::int64_t>(dense.numel() * dense.element_size());
  check_mpi(MPI_Bcast(dense.data_ptr(), checked_count(bytes, rank_, world_, "broadcast"), MPI_BYTE,
                      root, MPI_COMM_WORLD),
            rank_, world_, fmt::format("broadcast from rank {}", root));
  if (!dense.is_same(tensor)) tensor.copy_(dense);
}

void MpiContext::barrier() {
  check_mpi(MPI_Barrier(MPI_COMM_WORLD), rank_, world_, "barrier");
}

void MpiContext::preflight() {
  run_preflight(*this);
}

void MpiContext::check_same_config(std::uint64_t config_hash) {
  std::vector<std::uint64_t> hashes(static_cast<std::size_t>(world_));
  check_mpi(
      MPI_Allgather(&config_hash, 1, MPI_UINT64_T, hashes.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD),
      rank_, world_, "allgather of configuration hashes");
  std::string mismatches;
  for (int r = 1; r < world_; ++r) {
    if (hashes[r] != hashes[0]) {
      mismatches +=
          fmt::format("{}rank {} has {:#018x}", mismatches.empty() ? "" : ", ", r, hashes[r]);
    }
  }
  SEGBENCH_CHECK(mismatches.empty(), DistributedError,
                 "rank {}/{}: ranks disagree on the configuration: expected hash {:#018x} (rank "
                 "0), found {}",
                 rank_, world_, hashes[0], mismatches);
}

}  // namespace segbench
