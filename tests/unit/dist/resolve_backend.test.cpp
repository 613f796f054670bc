// --dist auto: none for one process, NCCL for a GPU model in a build that has it, MPI under
// mpirun/PMIx in a build with MPI, else Gloo; named backends pass through.
#include "catch_torch.hpp"

#include "segbench/dist/make_context.hpp"
#include "segbench/error.hpp"

using namespace segbench;

TEST_CASE("resolve_backend: --dist auto picks NCCL when the model is on a GPU", "[dist]") {
  LaunchEnv env;
  env.launcher = Launcher::slurm;
  env.world_size = 4;
  ContextOptions options;
  CHECK(resolve_backend(options, LaunchEnv{}) == "none");  // a world of one
  CHECK(resolve_backend(options, env) == "gloo");          // CPU model under srun
  options.cuda_device = 0;
#ifdef SEGBENCH_HAVE_NCCL
  CHECK(resolve_backend(options, env) == "nccl");
  env.launcher = Launcher::openmpi;  // NCCL wins over MPI for a GPU model
  CHECK(resolve_backend(options, env) == "nccl");
#else
  CHECK(resolve_backend(options, env) == "gloo");  // no NCCL in this build
#endif
  options.cuda_device = -1;
  env.launcher = Launcher::openmpi;
#ifdef SEGBENCH_HAVE_MPI
  CHECK(resolve_backend(options, env) == "mpi");
#else
  CHECK(resolve_backend(options, env) == "gloo");
#endif
  options.backend = "gloo";
  options.cuda_device = 0;
  CHECK(resolve_backend(options, env) == "gloo");
  options.backend = "infiniband";
  CHECK_THROWS_AS(resolve_backend(options, env), ConfigError);
}
