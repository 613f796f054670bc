#include "mpi_world.hpp"

#include <cstdlib>

#include "segbench/error.hpp"

#ifdef SEGBENCH_HAVE_MPI
#include <mpi.h>
#endif

namespace segbench::tools {
namespace {

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

}  // namespace

MpiWorld::MpiWorld() {
#ifdef SEGBENCH_HAVE_MPI
  if (!launched_by_mpi()) return;
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    MPI_Init(nullptr, nullptr);
    initialised_here_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &share_.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &share_.size);
#else
  SEGBENCH_CHECK(!launched_by_mpi(), ConfigError,
                 "segbench-data was started by an MPI launcher, but this build has no MPI "
                 "(install libopenmpi-dev and rebuild)");
#endif
}

MpiWorld::~MpiWorld() {
#ifdef SEGBENCH_HAVE_MPI
  if (initialised_here_) MPI_Finalize();
#endif
}

std::vector<double> MpiWorld::gather_to_root(std::span<const double> mine) const {
  if (share_.size == 1) return {mine.begin(), mine.end()};
#ifdef SEGBENCH_HAVE_MPI
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(share_.rank == 0 ? share_.size : 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(counts.size());
  std::vector<double> all;
  if (share_.rank == 0) {
    long total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      offsets[r] = static_cast<int>(total);
      total += counts[r];
    }
    all.resize(static_cast<std::size_t>(total));
  }
  MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE,
              0, MPI_COMM_WORLD);
  return all;
#else
  return {mine.begin(), mine.end()};
#endif
}

bool MpiWorld::all_ok(bool ok) const {
  if (share_.size == 1) return ok;
#ifdef SEGBENCH_HAVE_MPI
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
#else
  return ok;
#endif
}

}  // namespace segbench::tools
