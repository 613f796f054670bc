// The MPI world of a segbench-data command started by mpirun or srun: which rank this process
// is, and the two collectives the data tools need. Without an MPI launcher (or in a build without
// MPI) it is a world of one process. <mpi.h> stays in the .cpp. No torch here.
#pragma once

#include <span>
#include <vector>

#include "segbench/prep/parallel_files.hpp"

namespace segbench::tools {

class MpiWorld {
 public:
  /// Initialises MPI when the process was started by an MPI launcher (OMPI_COMM_WORLD_SIZE,
  /// PMI_SIZE or PMIX_RANK in the environment); finalises it in the destructor.
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const { return share_.rank; }
  int size() const { return share_.size; }
  const prep::RankShare& share() const { return share_; }

  /// Every rank's `mine`, concatenated in rank order, on rank 0 (empty on the others).
  std::vector<double> gather_to_root(std::span<const double> mine) const;
  /// Whether every rank passes `ok` (a collective: a rank that failed still calls it, so that
  /// no rank waits forever on one that threw).
  bool all_ok(bool ok) const;

 private:
  prep::RankShare share_;
  bool initialised_here_ = false;
};

}  // namespace segbench::tools
