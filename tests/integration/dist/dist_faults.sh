#!/usr/bin/env bash
# Distributed faults through a real driver (unet3d_kits19, smoke preset, 2 Gloo ranks on
# 127.0.0.1; a configuration mismatch and a hung rank also under mpirun when MPI is built):
#   - a rank killed (SIGKILL) mid-training, rank 1 and rank 0 (the rendezvous store's host);
#   - a rank hung (SIGSTOP) mid-training, rank 1 and rank 0: bounded by --dist_timeout, one
#     message naming the rank and the timeout;
#   - ranks started with another batch size, other filters, another seed;
#   - ranks resuming from different checkpoints (each rank's own checkpoint directory, as on
#     node-local disks: the same relative --resume path under two working directories).
# For each: every surviving rank exits non-zero by itself (not by a signal) within the timeout
# plus a margin, its message names the failing or different rank, the checkpoint directory's
# listing and md5s are unchanged after the fault, and the result log has no successful run_stop.
# DeepCAM's start-up data check (rank 0 reads the HDF5 headers and broadcasts its verdict): a
# truncated file planted in rank 0's copy of the data stops both ranks before the first step
# with rank 0's message naming the file, although rank 1's own copy is intact (it reads none).
# Usage: dist_faults.sh UNET3D_KITS19 SEGBENCH_DATA DEEPCAM_CLIMATE with-mpi|without-mpi
set -uo pipefail
UNET3D=$(realpath "$1") DATA_TOOL=$(realpath "$2") DEEPCAM=$(realpath "$3") MPI_MODE=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-dfaults.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2> /dev/null; done
  wait 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MASTER_ADDR=127.0.0.1
unset RANK WORLD_SIZE LOCAL_RANK MASTER_PORT
TIMEOUT=8   # --dist_timeout of every run
MARGIN=8    # allowed on top of it: the lost-rank check-in, process exit
CASES=0

make_kits19_npy "$DATA_TOOL" "$WORK/kits" 8
# A long run without evaluations: 300 epochs of 2 iterations, a checkpoint after each epoch.
RUN=(--preset smoke --data_dir "$WORK/kits" --threads 1 --evaluate_every 100000 --start_eval_at 100000
  --dist_timeout "$TIMEOUT" --checkpoint_every 1 --keep_checkpoints 3 --log_dir log
  --save_ckpt_path ck/)

show() { for f in "$@"; do echo "--- $f" >&2; cat "$f" >&2; done; }
# start CASE RANK ARGS...: rank RANK of 2 in $WORK/CASE/rRANK (its own working directory: its
# own ck/ and log/), stderr in err; PIDS[RANK] is its pid.
start() {
  local case=$1 rank=$2
  shift 2
  mkdir -p "$WORK/$case/r$rank"
  (cd "$WORK/$case/r$rank" && RANK=$rank WORLD_SIZE=2 MASTER_PORT=$PORT \
    exec "${DRIVER:-$UNET3D}" "$@" > out 2> err) &
  PIDS[$rank]=$!
}
# wait_bounded PID SECONDS: PID's exit status; kills it (status 137) after SECONDS.
wait_bounded() {
  local waited=0
  while kill -0 "$1" 2> /dev/null && [ $waited -lt $(($2 * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -9 "$1" 2> /dev/null
  wait "$1"
}
snapshot() {  # snapshot DIR: the listing and md5s of DIR's checkpoints
  [ ! -d "$1" ] || (cd "$1" && find ck log -type f 2> /dev/null | sort | xargs -r md5sum)
}
# until_epoch CASE EPOCH: waits until rank 0 reports EPOCH (fails after 60 s).
until_epoch() {
  local waited=0
  until grep -qs "^epoch \{1,4\}$2/" "$WORK/$1/r0/err"; do
    kill -0 "${PIDS[0]}" 2> /dev/null || { show "$WORK/$1"/r*/err; fail "$1: rank 0 ended early"; }
    sleep 0.05
    waited=$((waited + 1))
    [ $waited -lt 1200 ] || { show "$WORK/$1"/r*/err; fail "$1: no epoch $2 within 60 s"; }
  done
}
# expect_failure CASE RANK STATUS SECONDS BOUND TEXT...: RANK exited STATUS (an error, not a
# signal, not the `timeout` wrapper) within BOUND seconds, its message holding every TEXT.
expect_failure() {
  local case=$1 rank=$2 status=$3 seconds=$4 bound=$5 err="$WORK/$1/r$2/err" text
  shift 5
  [ "$status" -ge 1 ] && [ "$status" -le 120 ] && [ "$status" -ne 124 ] ||
    { show "$err"; fail "$case: rank $rank exited $status, expected an error exit (1-120)"; }
  [ "$seconds" -le "$bound" ] ||
    { show "$err"; fail "$case: rank $rank took $seconds s, expected at most $bound s"; }
  for text in "$@"; do
    grep -qF -- "$text" "$err" || { show "$err"; fail "$case: rank $rank: expected '$text'"; }
  done
  echo "   $case: rank $rank exited $status after $seconds s: $(grep -m1 error "$err")"
}
# no_success LOGDIR: the result log (if any) has no successful run_stop.
no_success() {
  ! grep -qs '"key":"run_stop".*"status":"success"' "$1"/log/*.log ||
    fail "$1: a successful run_stop was logged"
}

# fault CASE SIGNAL VICTIM SURVIVOR TEXT...: a 2-rank run; at epoch 3 the VICTIM rank is
# stopped, the checkpoints (written by rank 0 only) are recorded once any write in flight has
# ended, then the victim gets SIGNAL (KILL, or STOP: it stays hung). The survivor must exit by
# itself within the timeout plus the margin, naming the victim, and nothing is written after
# the fault.
fault() {
  local case=$1 signal=$2 victim=$3 survivor=$4 before status start seconds
  shift 4
  PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
  start "$case" 0 "${RUN[@]}" --seed 5 --epochs 300
  start "$case" 1 "${RUN[@]}" --seed 5 --epochs 300
  until_epoch "$case" 3
  kill -STOP "${PIDS[$victim]}"
  sleep 0.5
  before=$(snapshot "$WORK/$case/r0")
  [ -n "$before" ] || fail "$case: no checkpoint before the fault"
  start=$(date +%s.%N)
  [ "$signal" = STOP ] || kill -"$signal" "${PIDS[$victim]}"
  status=0
  wait_bounded "${PIDS[$survivor]}" 60 || status=$?
  seconds=$(printf '%.0f' "$(echo "$(date +%s.%N) - $start" | bc)")
  # SIGKILL without SIGCONT: a stopped victim must not finish what it had begun.
  kill -9 "${PIDS[$victim]}" 2> /dev/null
  wait "${PIDS[$victim]}" 2> /dev/null
  PIDS=()
  expect_failure "$case" "$survivor" "$status" "$seconds" $((TIMEOUT + MARGIN)) "rank $victim" "$@"
  [ "$(snapshot "$WORK/$case/r0")" = "$before" ] ||
    { echo "before: $before" >&2; snapshot "$WORK/$case/r0" >&2;
      fail "$case: checkpoints or log changed after the fault"; }
  no_success "$WORK/$case/r0"
  CASES=$((CASES + 1))
}

# mismatch CASE TEXT -- RANK0_ARGS -- RANK1_ARGS: both ranks exit 2 within the bound, each
# naming rank 1 (or $NAMES) and TEXT; nothing is trained (no checkpoint, no epoch), nothing resumed changed.
mismatch() {
  local case=$1 text=$2 a=() b=() r status start seconds before=()
  shift 3
  while [ "$1" != -- ]; do a+=("$1"); shift; done
  shift
  b=("$@")
  PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
  for r in 0 1; do before[$r]=$(snapshot "$WORK/$case/r$r"); done
  start=$(date +%s.%N)
  start "$case" 0 "${a[@]}"
  start "$case" 1 "${b[@]}"
  for r in 0 1; do
    status=0
    wait_bounded "${PIDS[$r]}" 60 || status=$?
    seconds=$(printf '%.0f' "$(echo "$(date +%s.%N) - $start" | bc)")
    expect_failure "$case" "$r" "$status" "$seconds" "$TIMEOUT" "${NAMES:-rank 1}" "$text"
    [ "$status" -eq 2 ] || fail "$case: rank $r exited $status, expected 2"
    ! grep -qs "^epoch " "$WORK/$case/r$r/err" || fail "$case: rank $r trained"
    [ "$(snapshot "$WORK/$case/r$r")" = "${before[$r]}" ] ||
      fail "$case: rank $r's checkpoints or log changed"
    no_success "$WORK/$case/r$r"
  done
  PIDS=()
  CASES=$((CASES + 1))
}

echo "== a rank killed or hung mid-training (--dist_timeout $TIMEOUT)"
fault kill-rank1 KILL 1 0
fault kill-rank0 KILL 0 1
fault hang-rank1 STOP 1 0 "within the --dist_timeout of $TIMEOUT s"
fault hang-rank0 STOP 0 1 "within the --dist_timeout of $TIMEOUT s"
for case in hang-rank1 hang-rank0; do
  # One consistent message: not two different accounts of the same hang.
  survivor=$([ $case = hang-rank1 ] && echo 0 || echo 1)
  [ "$(grep -c "error" "$WORK/$case/r$survivor/err")" -eq 1 ] ||
    { show "$WORK/$case/r$survivor/err"; fail "$case: more than one error message"; }
  ! grep -qE "timed out waiting|no sign of life within 3 s" "$WORK/$case/r$survivor/err" ||
    { show "$WORK/$case/r$survivor/err"; fail "$case: the hang is described twice"; }
done

echo "== ranks started differently"
COMMON=("${RUN[@]}" --epochs 4)
mismatch batch-size "batch_size" -- "${COMMON[@]}" --seed 5 -- "${COMMON[@]}" --seed 5 \
  --batch_size 1
mismatch filters "filters" -- "${COMMON[@]}" --seed 5 -- "${COMMON[@]}" --seed 5 \
  --filters 4 8 8
for case in batch-size filters; do
  # Only the flags that differ: not reference_command, which is built from them.
  ! grep -qs "reference_command" "$WORK/$case/r0/err" ||
    { show "$WORK/$case/r0/err"; fail "$case: the message lists the derived reference_command"; }
done
mismatch seed "seed" -- "${COMMON[@]}" --seed 5 -- "${COMMON[@]}" --seed 6

echo "== ranks resuming from different checkpoints"
# A 2-rank run killed (-9) after epoch 4 leaves the checkpoints of its last epochs in r0/ck;
# rank 1's copy lacks the newest, as a node whose disk missed the last write.
PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
start resume 0 "${RUN[@]}" --seed 5 --epochs 300
start resume 1 "${RUN[@]}" --seed 5 --epochs 300
until_epoch resume 4
kill -9 "${PIDS[@]}"
wait "${PIDS[@]}" 2> /dev/null
PIDS=()
rm -f "$WORK"/resume/r0/ck/.*tmp*
rm -rf "$WORK/resume/r1/ck" && cp -r "$WORK/resume/r0/ck" "$WORK/resume/r1/ck"
newest=$(ls "$WORK/resume/r1/ck" | sort | tail -1)
older=$(ls "$WORK/resume/r1/ck" | sort | tail -2 | head -1)
rm "$WORK/resume/r1/ck/$newest"
mismatch resume "checkpoint" -- "${RUN[@]}" --seed 5 --epochs 300 --resume ck/ -- \
  "${RUN[@]}" --seed 5 --epochs 300 --resume ck/
for r in 0 1; do
  expect_in "rank 0 resumes from $newest" "$WORK/resume/r$r/err"
  expect_in "rank 1 from $older" "$WORK/resume/r$r/err"
done

echo "== DeepCAM: a truncated HDF5 file in rank 0's copy of the data"
make_cam5 "$DATA_TOOL" "$WORK/cam5" 8 4
for r in 0 1; do
  mkdir -p "$WORK/cam5-bad/r$r" && cp -r "$WORK/cam5" "$WORK/cam5-bad/r$r/data"
done
bad=$(ls "$WORK/cam5/train" | sort | sed -n 2p)
head -c 300 "$WORK/cam5/train/$bad" > "$WORK/cam5-bad/r0/data/train/$bad"
# The result log goes to rank 0's stdout.
DRIVER=$DEEPCAM NAMES="data: 1 problem(s) found before training" mismatch cam5-bad \
  "data/train/$bad: cannot open as HDF5" -- \
  --preset smoke --data_dir data --max_epochs 2 --threads 1 --seed 5 -- \
  --preset smoke --data_dir data --max_epochs 2 --threads 1 --seed 5
expect_in "rank 1/2: rank 0's start-up data check failed: data: 1 problem(s)" "$WORK/cam5-bad/r1/err"
! grep -qs '"key":"run_start"' "$WORK/cam5-bad/r0/out" || fail "cam5-bad: run_start logged"

if [ "$MPI_MODE" = with-mpi ]; then
  echo "== mpirun: ranks started with another batch size"
  mkdir -p "$WORK/mpi" && cd "$WORK/mpi"
  status=0
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout -k 3 60 \
    mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader \
    --mca oob_tcp_if_include lo -np 1 "$UNET3D" "${COMMON[@]}" --seed 5 --dist mpi : \
    -np 1 "$UNET3D" "${COMMON[@]}" --seed 5 --dist mpi --batch_size 1 > mpi.log 2>&1 || status=$?
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || { cat mpi.log >&2; fail "mpi: exit $status"; }
  [ "$(grep -c "rank 1.*batch_size" mpi.log)" -ge 1 ] ||
    { cat mpi.log >&2; fail "mpi: the mismatch does not name rank 1 and batch_size"; }
  ! grep -q "^epoch " mpi.log || fail "mpi: trained"
  echo "   mpi batch-size: exit $status: $(grep -m1 "error" mpi.log)"
  CASES=$((CASES + 1))

  echo "== mpirun: rank 1 hung (SIGSTOP) at epoch 3"
  mkdir -p "$WORK/mpi-hang" && cd "$WORK/mpi-hang"
  # Each rank writes its pid to rankN.pid and execs the driver (same pid). Scanning
  # /proc/PID/environ through `grep -q` raced under pipefail: grep quits at the match, tr
  # dies of SIGPIPE on a large environment, and the pipeline reads as no match.
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout -k 3 90 \
    mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader \
    --mca oob_tcp_if_include lo -np 2 \
    bash -c 'echo $$ > "rank$OMPI_COMM_WORLD_RANK.pid" && exec "$0" "$@"' \
    "$UNET3D" "${RUN[@]}" --seed 5 --epochs 300 --dist mpi > mpi.log 2>&1 &
  mpirun_pid=$!
  waited=0
  until grep -qs "^epoch \{1,4\}3/" mpi.log; do
    kill -0 "$mpirun_pid" 2> /dev/null || { cat mpi.log >&2; fail "mpi-hang: ended early"; }
    sleep 0.05
    waited=$((waited + 1))
    [ $waited -lt 1200 ] || { cat mpi.log >&2; fail "mpi-hang: no epoch 3 within 60 s"; }
  done
  victim=$(cat rank1.pid 2> /dev/null)
  [ -n "$victim" ] && [ "$(readlink "/proc/$victim/exe")" = "$UNET3D" ] ||
    { ls -l >&2; fail "mpi-hang: rank 1's process not found (rank1.pid: '$victim')"; }
  kill -STOP "$victim"
  PIDS=("$victim")
  start=$(date +%s.%N)
  status=0
  wait "$mpirun_pid" || status=$?
  seconds=$(printf '%.0f' "$(echo "$(date +%s.%N) - $start" | bc)")
  kill -9 "$victim" 2> /dev/null || true
  PIDS=()
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
    { cat mpi.log >&2; fail "mpi-hang: mpirun exit $status"; }
  [ "$seconds" -le $((TIMEOUT + MARGIN)) ] ||
    { cat mpi.log >&2; fail "mpi-hang: took $seconds s, expected at most $((TIMEOUT + MARGIN)) s"; }
  grep -q "rank 0/2: MPI allreduce did not complete within the --dist_timeout of $TIMEOUT s" \
    mpi.log || { cat mpi.log >&2; fail "mpi-hang: rank 0 did not report the timeout"; }
  no_success "$WORK/mpi-hang"
  echo "   mpi-hang: mpirun exited $status after $seconds s: $(grep -m1 "did not complete" mpi.log)"
  CASES=$((CASES + 1))
  cd "$WORK"
else
  echo "== mpi: this build has no MPI, the mpirun case is not run"
fi
echo "PASS: $CASES distributed fault cases"
