#!/usr/bin/env bash
# Weak scaling of the data-parallel training step at 1, 2 and 4 ranks on this machine
# (Gloo over 127.0.0.1, one thread per rank; with mpi: mpirun). Usage:
#   bench/dist_scaling.sh BUILD_DIR [gloo|mpi] [SIZE BATCH STEPS]
set -euo pipefail
BUILD=$1 BACKEND=${2:-gloo} SIZE=${3:-32} BATCH=${4:-2} STEPS=${5:-5}
BENCH=$BUILD/bench/dist_step_bench
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MASTER_ADDR=127.0.0.1
unset RANK WORLD_SIZE MASTER_PORT
echo "$(nproc --all) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for world in 1 2 4; do
  if [ "$BACKEND" = mpi ]; then
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --allow-run-as-root \
      --oversubscribe --bind-to none --mca btl self,vader -np "$world" \
      "$BENCH" mpi "$SIZE" "$BATCH" "$STEPS"
  else
    port=$((20000 + RANDOM % 20000))
    for ((r = world - 1; r >= 0; r--)); do
      RANK=$r WORLD_SIZE=$world MASTER_PORT=$port "$BENCH" "$([ "$world" -eq 1 ] && echo none || echo gloo)" \
        "$SIZE" "$BATCH" "$STEPS" &
    done
    wait
  fi
done
