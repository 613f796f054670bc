#!/usr/bin/env bash
# Data-parallel training equality at 2 and 4 ranks, Gloo on 127.0.0.1 and mpirun.
# Usage: dist_train_check.sh DIST_TRAIN_CHECK with-mpi|without-mpi
set -uo pipefail
CHECK=$1 MPI_MODE=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-dtrain.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MASTER_ADDR=127.0.0.1
unset RANK WORLD_SIZE LOCAL_RANK MASTER_PORT
fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

for run in "2 after-backward" "4 after-backward" "2 overlap" "4 overlap"; do
  read -r world mode <<< "$run"
  port=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
  pids=()
  for ((r = 0; r < world; r++)); do
    RANK=$r WORLD_SIZE=$world MASTER_PORT=$port timeout -k 3 120 "$CHECK" gloo "$mode" \
      > "$WORK/gloo$world$mode.$r.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail "gloo, $world ranks, $mode"; done
  for ((r = 0; r < world; r++)); do
    grep -q "rank $r/$world passed" "$WORK/gloo$world$mode.$r.log" ||
      fail "gloo rank $r/$world, $mode"
  done
  echo "gloo, $world ranks, $mode: $(head -1 "$WORK/gloo$world$mode.0.log")"
done

if [ "$MPI_MODE" = with-mpi ]; then
  for run in "2 after-backward" "4 after-backward" "2 overlap"; do
    read -r world mode <<< "$run"
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout -k 3 120 \
      mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader \
      --mca oob_tcp_if_include lo -np "$world" "$CHECK" mpi "$mode" \
      > "$WORK/mpi$world$mode.log" 2>&1 || fail "mpi, $world ranks, $mode"
    [ "$(grep -c "passed" "$WORK/mpi$world$mode.log")" -eq "$world" ] ||
      fail "mpi, $world ranks, $mode"
    echo "mpi, $world ranks, $mode: $(grep -m1 passed "$WORK/mpi$world$mode.log")"
  done
else
  echo "MPI not built: mpirun part not run"
fi
echo "data-parallel training equality: passed"
