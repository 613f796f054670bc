// Who launched this process, and where it sits in the job: rank, world, node, rendezvous.
// Read once at start-up from the environment. No torch here.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace segbench {

enum class Launcher { slurm, openmpi, pmix, torchrun, none };

/// "slurm", "openmpi", "pmix", "torchrun" or "none".
std::string_view launcher_name(Launcher launcher);

struct LaunchEnv {
  Launcher launcher = Launcher::none;
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  int num_nodes = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string node_name;  ///< this host: SLURMD_NODENAME, else HOSTNAME, else gethostname()

  /// One line, e.g. "slurm: rank 3/8 (local 1/4) on node02, master node01:29500, 2 nodes".
  std::string describe() const;
};

/// Reads the launch environment through `getenv` (injectable for tests). Variables set to ""
/// count as unset. The first launcher whose variables are present wins:
///  1. torchrun / manual override: RANK and WORLD_SIZE, both or neither (one alone is an
///     error). LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_WORLD_SIZE (nodes) when present.
///  2. OpenMPI (mpirun): OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE. Checked before
///     Slurm because mpirun inside an sbatch allocation leaves the batch step's (stale)
///     SLURM_PROCID=0 in every rank's environment; OMPI_COMM_WORLD_* is only ever set by
///     mpirun for its own children.
///  3. Slurm (srun): SLURM_PROCID, SLURM_NTASKS (or SLURM_NPROCS), SLURM_LOCALID; local world
///     from SLURM_NTASKS_PER_NODE, else SLURM_STEP_TASKS_PER_NODE / SLURM_TASKS_PER_NODE
///     ("4(x2),3", entry SLURM_NODEID); nodes from SLURM_STEP_NUM_NODES / SLURM_NNODES /
///     SLURM_JOB_NUM_NODES; master = first host of SLURM_STEP_NODELIST / SLURM_JOB_NODELIST /
///     SLURM_NODELIST; port = 20000 + SLURM_JOB_ID % 20000, so concurrent jobs differ.
///  4. PMIx: PMIX_RANK with PMIX_SIZE or PMI_SIZE (required); PMIX_LOCAL_RANK/_SIZE if present.
///  5. none: a world of one.
/// Where a launcher gives no local rank/size, all ranks are taken to share one node.
/// MASTER_ADDR / MASTER_PORT, when set, override the derived rendezvous for every launcher.
/// Throws ConfigError naming the variable and its value for non-numeric or inconsistent
/// values (rank >= world, negative sizes, local rank >= local world, port outside 1..65535).
LaunchEnv discover_launch_env(const std::function<const char*(const char*)>& getenv = ::getenv);

/// Expands Slurm's compressed host list, keeping zero padding (width of each range's start):
/// "node[01-02,07],gpu5,rack[1-2]-n[3,5]" → node01 node02 node07 gpu5 rack1-n3 rack1-n5
/// rack2-n3 rack2-n5. "" gives no hosts. Throws ConfigError on malformed input (unbalanced or
/// nested brackets, empty host or group, non-digit or reversed range such as "5-3").
std::vector<std::string> expand_slurm_nodelist(std::string_view list);

}  // namespace segbench
