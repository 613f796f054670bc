#include "segbench/dist/mpi_context.hpp"

#include <memory>

#include "segbench/concepts/distributed.hpp"
#include "segbench/dist/mpi_staging.hpp"
#include "segbench/dist/preflight.hpp"
#include "segbench/dist/rank_group.hpp"
#include "segbench/error.hpp"

#include <ATen/ops/ones.h>
#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // OpenMPI's extensions: MPIX_Query_cuda_support
#endif

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <thread>
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

void check_mpi(int code, std::string_view who, std::string_view operation) {
  SEGBENCH_CHECK(code == MPI_SUCCESS, DistributedError,
                 "{}: MPI {} failed (a peer rank exited or is unreachable?): {}", who, operation,
                 mpi_error_text(code));
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

int checked_count(std::int64_t count, std::string_view who, std::string_view operation) {
  SEGBENCH_CHECK(count <= INT_MAX, DistributedError,
                 "{}: MPI {}: at most {} elements per call, found {}", who, operation, INT_MAX,
                 count);
  return static_cast<int>(count);
}

void check_defined(const at::Tensor& tensor, std::string_view who, std::string_view operation) {
  SEGBENCH_CHECK(tensor.defined(), DistributedError, "{}: MPI {} of an undefined tensor", who,
                 operation);
}

// Whether this MPI reads and writes GPU memory itself: SEGBENCH_MPI_CUDA_AWARE when set, else
// OpenMPI's run-time answer (built with CUDA and running with it); false for other MPIs.
bool query_cuda_aware() {
  bool reported = false;
#if defined(OMPI_HAVE_MPI_EXT_CUDA) && OMPI_HAVE_MPI_EXT_CUDA
  reported = MPIX_Query_cuda_support() == 1;
#endif
  const char* value = std::getenv("SEGBENCH_MPI_CUDA_AWARE");
  return cuda_aware_mpi(value ? std::optional<std::string_view>(value) : std::nullopt, reported);
}

// Set when a collective timed out: its request never completes, and MPI_Finalize (or freeing
// the communicator) would wait for it forever.
std::atomic<bool> request_abandoned{false};

void wait_within(MPI_Request* request, std::chrono::milliseconds timeout, std::string_view who,
                 std::string_view operation) {
  if (timeout.count() <= 0) {
    check_mpi(MPI_Wait(request, MPI_STATUS_IGNORE), who, operation);
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (long polls = 0;; ++polls) {
    int done = 0;
    check_mpi(MPI_Test(request, &done, MPI_STATUS_IGNORE), who, operation);
    if (done) return;
    if (std::chrono::steady_clock::now() > deadline) {
      request_abandoned = true;
      throw DistributedError(fmt::format(
          "{}: MPI {} did not complete within the --dist_timeout of {} s: another rank is hung "
          "or has died (MPI does not say which; mpirun names the ranks it ends)",
          who, operation, static_cast<double>(timeout.count()) / 1000.0));
    }
    // Spin briefly (a step's allreduce usually completes within microseconds), then yield the
    // core to the rank's other threads.
    if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

}  // namespace

struct MpiContext::Communicator {
  MPI_Comm comm = MPI_COMM_WORLD;
  Communicator() = default;
  explicit Communicator(MPI_Comm c) : comm(c) {}
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  ~Communicator() {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (comm != MPI_COMM_WORLD && comm != MPI_COMM_NULL && !finalised && !request_abandoned)
      MPI_Comm_free(&comm);
  }
};

MpiContext::MpiContext() : comm_(std::make_unique<Communicator>()) {
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
  world_of_job_ = world_;

  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
            who(), "node split");
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_free(&node);
  cuda_aware_ = query_cuda_aware();
}

MpiContext::MpiContext(std::unique_ptr<Communicator> comm, int local_rank, int first_rank,
                       int job_world, bool cuda_aware)
    : comm_(std::move(comm)),
      local_rank_(local_rank),
      first_rank_(first_rank),
      world_of_job_(job_world),
      cuda_aware_(cuda_aware) {
  MPI_Comm_set_errhandler(comm_->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_->comm, &rank_);
  MPI_Comm_size(comm_->comm, &world_);
}

MpiContext::MpiContext(MpiContext&& other) noexcept
    : comm_(std::move(other.comm_)),
      rank_(other.rank_),
      world_(other.world_),
      local_rank_(other.local_rank_),
      first_rank_(other.first_rank_),
      world_of_job_(other.world_of_job_),
      cuda_aware_(other.cuda_aware_),
      owns_mpi_(std::exchange(other.owns_mpi_, false)),
      timeout_(other.timeout_) {}

MpiContext& MpiContext::operator=(MpiContext&& other) noexcept {
  if (this != &other) {
    comm_ = std::move(other.comm_);
    rank_ = other.rank_;
    world_ = other.world_;
    local_rank_ = other.local_rank_;
    first_rank_ = other.first_rank_;
    world_of_job_ = other.world_of_job_;
    cuda_aware_ = other.cuda_aware_;
    owns_mpi_ = std::exchange(other.owns_mpi_, false) || owns_mpi_;
    timeout_ = other.timeout_;
  }
  return *this;
}

MpiContext::~MpiContext() {
  comm_.reset();  // a split communicator is freed before MPI is finalised
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (owns_mpi_ && !finalised && !request_abandoned) MPI_Finalize();
}

std::string MpiContext::who() const {
  return rank_label(rank_, world_, first_rank_, world_of_job_);
}

MpiContext MpiContext::subgroup(int group_size) {
  check_group_size(who(), world_, group_size);
  const int group_index = rank_ / group_size;
  MPI_Comm split = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(comm_->comm, group_index, rank_, &split), who(),
            fmt::format("split into groups of {} ranks", group_size));
  MpiContext group(std::make_unique<Communicator>(split), local_rank_,
                   first_rank_ + group_index * group_size, world_of_job_, cuda_aware_);
  group.timeout_ = timeout_;
  return group;
}

void MpiContext::allreduce_sum(at::Tensor& tensor) {
  check_defined(tensor, who(), "allreduce");
  const MPI_Datatype type = sum_type(tensor.scalar_type());
  SEGBENCH_CHECK(type != MPI_DATATYPE_NULL, DistributedError,
                 "{}: MPI allreduce supports float, double, int32 and int64, found {}", who(),
                 c10::toString(tensor.scalar_type()));
  MpiStagedTensor staged(tensor, cuda_aware_);
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(
      MPI_Iallreduce(MPI_IN_PLACE, staged.data(), checked_count(tensor.numel(), who(), "allreduce"),
                     type, MPI_SUM, comm_->comm, &request),
      who(), "allreduce");
  wait(&request, "allreduce");
  staged.finish();
}

PendingCollective MpiContext::allreduce_sum_async(at::Tensor& tensor) {
  check_defined(tensor, who(), "allreduce");
  const MPI_Datatype type = sum_type(tensor.scalar_type());
  SEGBENCH_CHECK(type != MPI_DATATYPE_NULL && tensor.is_contiguous(), DistributedError,
                 "{}: asynchronous MPI allreduce needs a contiguous float, double, int32 "
                 "or int64 tensor, found {}",
                 who(), c10::toString(tensor.scalar_type()));
  // A GPU tensor without CUDA-aware MPI is reduced in a pinned host copy, put back at wait().
  auto staged = std::make_shared<MpiStagedTensor>(tensor, cuda_aware_);
  auto request = std::make_shared<MPI_Request>();
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, staged->data(),
                           checked_count(tensor.numel(), who(), "allreduce"), type, MPI_SUM,
                           comm_->comm, request.get()),
            who(), "allreduce");
  return PendingCollective([request, staged, who = who(), timeout = timeout_] {
    wait_within(request.get(), timeout, who, "allreduce");
    staged->finish();
  });
}

double MpiContext::allreduce_sum(double value) {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_SUM, comm_->comm, &request),
            who(), "allreduce");
  wait(&request, "allreduce");
  return value;
}

void MpiContext::wait(void* request, std::string_view operation) const {
  wait_within(static_cast<MPI_Request*>(request), timeout_, who(), operation);
}

void MpiContext::broadcast(at::Tensor& tensor, int root) {
  SEGBENCH_CHECK(root >= 0 && root < world_, DistributedError,
                 "{}: broadcast root must be in [0, {}), found {}", who(), world_, root);
  check_defined(tensor, who(), "broadcast");
  MpiStagedTensor staged(tensor, cuda_aware_);
  const auto bytes = static_cast<std::int64_t>(tensor.numel() * tensor.element_size());
  const std::string operation = fmt::format("broadcast from rank {}", root);
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(staged.data(), checked_count(bytes, who(), "broadcast"), MPI_BYTE, root,
                       comm_->comm, &request),
            who(), operation);
  wait(&request, operation);
  staged.finish();
}

void MpiContext::barrier() {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(comm_->comm, &request), who(), "barrier");
  wait(&request, "barrier");
}

void MpiContext::preflight() {
  run_preflight(*this);
}

void MpiContext::check_same_config(std::uint64_t config_hash) {
  std::vector<std::uint64_t> hashes(static_cast<std::size_t>(world_));
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallgather(&config_hash, 1, MPI_UINT64_T, hashes.data(), 1, MPI_UINT64_T,
                           comm_->comm, &request),
            who(), "allgather of configuration hashes");
  wait(&request, "allgather of configuration hashes");
  std::string mismatches;
  for (int r = 1; r < world_; ++r) {
    if (hashes[r] != hashes[0]) {
      mismatches += fmt::format("{}rank {} has {:#018x}", mismatches.empty() ? "" : ", ",
                                first_rank_ + r, hashes[r]);
    }
  }
  SEGBENCH_CHECK(mismatches.empty(), DistributedError,
                 "{}: ranks disagree on the configuration: expected hash {:#018x} (rank "
                 "0), found {}",
                 who(), hashes[0], mismatches);
}

}  // namespace segbench
