// Builds the DistributedContext named by --dist from the launch environment.
#pragma once

#include <chrono>
#include <string>

#include "segbench/dist/any_context.hpp"
#include "segbench/dist/launch_env.hpp"

namespace segbench {

struct ContextOptions {
  /// auto: none for a world of one; nccl when the model is on a GPU and the build has NCCL;
  /// mpi under mpirun/PMIx when built with MPI; else gloo.
  std::string backend = "auto";      ///< auto | none | gloo | mpi | nccl
  std::chrono::seconds timeout{60};  ///< rendezvous and collective timeout (dead-rank bound)
  /// The GPU this rank trains on, or -1 for the CPU: auto picks NCCL for a CUDA model.
  int cuda_device = -1;
};

/// The backend `auto` resolves to for this environment.
std::string resolve_backend(const ContextOptions& options, const LaunchEnv& env);

/// Creates the context, runs its pre-flight collective and returns it. Throws ConfigError for
/// an unknown or unavailable backend, DistributedError (naming the rank) when peers fail.
AnyContext make_context(const ContextOptions& options, const LaunchEnv& env);

}  // namespace segbench
