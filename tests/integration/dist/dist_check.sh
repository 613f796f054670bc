#!/usr/bin/env bash
# Multi-process checks of the distributed contexts, on 127.0.0.1 only:
#   (a) Gloo with 2 and 4 ranks; (b) MPI (mpirun) with 2 and 4 ranks;
#   (c) a peer that exits mid-run is reported by rank 0; a lone rank 1 and a lone rank 0
#       of a world of 2 fail within the bound, naming their rank and the master address.
# Every process runs under `timeout`; nothing outlives the script.
# Usage: dist_check.sh DIST_CHECK with-mpi|without-mpi
set -uo pipefail
DIST_CHECK=$1 MPI_MODE=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-dist.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MASTER_ADDR=127.0.0.1
unset RANK WORLD_SIZE LOCAL_RANK MASTER_PORT
fail() { echo "FAIL: $*" >&2; exit 1; }
show() { for f in "$@"; do echo "--- $f" >&2; cat "$f" >&2; done; }

random_port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 20001)); }

# Starts WORLD ranks of `dist_check MODE` (default gloo) on PORT in the background;
# rank i logs to $WORK/$TAG.i.log.
start_gloo() {
  local tag=$1 world=$2 port=$3 timeout_s=$4 mode=${5:-gloo}
  PIDS=()
  for ((r = 0; r < world; r++)); do
    RANK=$r WORLD_SIZE=$world MASTER_PORT=$port DIST_CHECK_TIMEOUT_S=$timeout_s \
      timeout -k 3 60 "$DIST_CHECK" "$mode" > "$WORK/$tag.$r.log" 2>&1 &
    PIDS+=($!)
  done
}

# (a) Gloo: all ranks must pass. A port taken by someone else makes rank 0 fail with
# "address already in use": then stop the others and retry on a fresh port.
run_gloo() {
  local world=$1 attempt port rc0 failed
  for attempt in 1 2 3; do
    port=$(random_port)
    start_gloo "gloo$world" "$world" "$port" 30
    wait "${PIDS[0]}"; rc0=$?
    if [ "$rc0" -ne 0 ] && grep -qi "address already in use" "$WORK/gloo$world.0.log"; then
      echo "   port $port in use, retrying"
      for pid in "${PIDS[@]:1}"; do kill "$pid" 2>/dev/null; done
      wait 2>/dev/null
      continue
    fi
    failed=$((rc0 != 0))
    for pid in "${PIDS[@]:1}"; do wait "$pid" || failed=1; done
    PIDS=()
    if [ "$failed" -ne 0 ]; then show "$WORK"/gloo"$world".*.log; fail "gloo with $world ranks"; fi
    for ((r = 0; r < world; r++)); do
      grep -q "dist_check gloo: rank $r/$world (local $r) passed" "$WORK/gloo$world.$r.log" ||
        { show "$WORK/gloo$world.$r.log"; fail "gloo rank $r/$world did not report success"; }
    done
    echo "   gloo, $world ranks on 127.0.0.1:$port: passed"
    return 0
  done
  fail "gloo with $world ranks: no free port after 3 attempts"
}

# (b) MPI over shared memory; the runtime's own TCP restricted to the loopback interface.
run_mpi() {
  local world=$1 log="$WORK/mpi$1.log"
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
    timeout -k 3 60 mpirun --oversubscribe --allow-run-as-root -np "$world" \
    --mca btl self,vader --mca oob_tcp_if_include lo --bind-to none \
    "$DIST_CHECK" mpi > "$log" 2>&1 || { show "$log"; fail "mpi with $world ranks"; }
  [ "$(grep -c "dist_check mpi: rank [0-9]*/$world (local [0-9]*) passed" "$log")" -eq "$world" ] ||
    { show "$log"; fail "mpi with $world ranks: not every rank reported success"; }
  echo "   mpi, $world ranks: passed"
}

# (c) A peer that leaves mid-run: rank 0's next allreduce fails with a DistributedError.
expect_peer_exit() {
  local port rc0
  port=$(random_port)
  start_gloo peer 2 "$port" 10 gloo-peer-exits
  wait "${PIDS[0]}"; rc0=$?
  wait "${PIDS[1]}"
  PIDS=()
  [ "$rc0" -eq 0 ] ||
    { show "$WORK"/peer.*.log; fail "peer exit: rank 0 did not report it as expected"; }
  sed 's/^/   /' "$WORK/peer.0.log"
}

# The same inside a group of 2 of a world of 4: rank 3 leaves, rank 2 reports it.
expect_group_peer_exit() {
  local port rc2 r
  port=$(random_port)
  start_gloo group_peer 4 "$port" 10 gloo-group-peer-exits
  wait "${PIDS[2]}"; rc2=$?
  for r in 0 1 3; do wait "${PIDS[$r]}"; done
  PIDS=()
  [ "$rc2" -eq 0 ] ||
    { show "$WORK"/group_peer.*.log; fail "group peer exit: rank 2 did not report it as expected"; }
  sed 's/^/   /' "$WORK/group_peer.2.log"
}

# A lone rank of a world of 2 with a 5 s timeout: non-zero exit within the bound, and a
# message naming the rank and the master address. Both lone ranks run at once.
expect_lone_failures() {
  local port1 port0 start elapsed rc1 rc0
  port1=$(random_port)
  port0=$(( (port1 - 20000 + 7919) % 20001 + 20000 ))
  start=$SECONDS
  RANK=1 WORLD_SIZE=2 MASTER_PORT=$port1 DIST_CHECK_TIMEOUT_S=5 \
    timeout -k 3 30 "$DIST_CHECK" gloo > "$WORK/lone1.log" 2>&1 &
  PIDS=($!)
  RANK=0 WORLD_SIZE=2 MASTER_PORT=$port0 DIST_CHECK_TIMEOUT_S=5 \
    timeout -k 3 30 "$DIST_CHECK" gloo > "$WORK/lone0.log" 2>&1 &
  PIDS+=($!)
  wait "${PIDS[0]}"; rc1=$?
  wait "${PIDS[1]}"; rc0=$?
  PIDS=()
  elapsed=$((SECONDS - start))
  [ "$rc1" -eq 2 ] || { show "$WORK/lone1.log"; fail "lone rank 1: expected exit 2, found $rc1"; }
  [ "$rc0" -eq 2 ] || { show "$WORK/lone0.log"; fail "lone rank 0: expected exit 2, found $rc0"; }
  [ "$elapsed" -le 15 ] || fail "lone ranks took ${elapsed} s, expected at most 15 s"
  grep -q "rank 1/2: connecting to the rendezvous store of rank 0 at 127.0.0.1:$port1" \
    "$WORK/lone1.log" || { show "$WORK/lone1.log"; fail "lone rank 1: message"; }
  grep -q "rank 0/2: forming the Gloo group through 127.0.0.1:$port0 failed (did all 2 ranks" \
    "$WORK/lone0.log" ||
    { show "$WORK/lone0.log"; fail "lone rank 0: message"; }
  echo "   lone rank 1 and lone rank 0 failed in ${elapsed} s:"
  sed 's/^/      /' "$WORK/lone1.log" "$WORK/lone0.log"
}

echo "== gloo"
run_gloo 2
run_gloo 4
if [ "$MPI_MODE" = with-mpi ]; then
  echo "== mpi"
  run_mpi 2
  run_mpi 4
else
  echo "== mpi: this build has no MPI (dependency 'mpi' not found)"
fi
echo "== failures"
expect_peer_exit
expect_group_peer_exit
expect_lone_failures
echo "PASS"
