#include "segbench/dist/make_context.hpp"

#include "segbench/dist/gloo_context.hpp"
#include "segbench/dist/single_process.hpp"
#include "segbench/error.hpp"
#ifdef SEGBENCH_HAVE_MPI
#include "segbench/dist/mpi_context.hpp"
#endif
#ifdef SEGBENCH_HAVE_NCCL
#include "segbench/dist/nccl_context.hpp"
#endif

namespace segbench {

namespace {
constexpr bool kHaveMpi =
#ifdef SEGBENCH_HAVE_MPI
    true;
#else
    false;
#endif
constexpr bool kHaveNccl =
#ifdef SEGBENCH_HAVE_NCCL
    true;
#else
    false;
#endif
}  // namespace

std::string resolve_backend(const ContextOptions& options, const LaunchEnv& env) {
  const std::string& b = options.backend;
  SEGBENCH_CHECK(b == "auto" || b == "none" || b == "gloo" || b == "mpi" || b == "nccl",
                 ConfigError, "--dist must be auto, none, gloo, nccl or mpi, got '{}'", b);
  if (b != "auto") return b;
  if (env.world_size == 1) return "none";
  if (options.cuda_device >= 0 && kHaveNccl) return "nccl";
  const bool under_mpi = env.launcher == Launcher::openmpi || env.launcher == Launcher::pmix;
  return under_mpi && kHaveMpi ? "mpi" : "gloo";
}

AnyContext make_context(const ContextOptions& options, const LaunchEnv& env) {
  const std::string backend = resolve_backend(options, env);
  if (backend == "none") {
    SEGBENCH_CHECK(env.world_size == 1, ConfigError,
                   "--dist none, but the launcher ({}) started {} ranks", env.describe(),
                   env.world_size);
    return AnyContext(SingleProcessContext{});
  }
  if (backend == "gloo") {
    GlooContext gloo = GlooContext::create(env.rank, env.world_size, env.master_addr,
                                           env.master_port, options.timeout, env.local_rank);
    gloo.preflight();
    return AnyContext(std::move(gloo));
  }
  if (backend == "mpi") {
#ifdef SEGBENCH_HAVE_MPI
    MpiContext mpi;
    mpi.set_timeout(options.timeout);
    mpi.preflight();
    return AnyContext(std::move(mpi));
#else
    throw ConfigError("--dist mpi: this build has no MPI (install libopenmpi-dev and reconfigure)");
#endif
  }
#ifdef SEGBENCH_HAVE_NCCL
  SEGBENCH_CHECK(options.cuda_device >= 0, ConfigError,
                 "rank {}: --dist nccl needs the model on a GPU (--device cuda), found the CPU",
                 env.rank);
  NcclContext nccl = NcclContext::create(env.rank, env.world_size, env.master_addr, env.master_port,
                                         options.timeout, env.local_rank, options.cuda_device);
  nccl.preflight();
  return AnyContext(std::move(nccl));
#else
  throw ConfigError(
      "--dist nccl: this build has no NCCL (Debian's CPU LibTorch); build the CUDA flavour "
      "(./run.sh build cuda) or use gloo or mpi");
#endif
}

}  // namespace segbench
