#!/usr/bin/env bash
# DeepCAM end to end through the real binaries, on tiny synthetic CAM5 data:
#   synth (flat) → split → stats → convert; dry run; train the demo network to IoU ≥ 0.82
#   → the MLLOG passes the HPC 3.0.0 deepcam rules, staging inside the run; the .npy layout; a
#   2-rank Gloo run with train metrics averaged over ranks every --logging_frequency iterations;
#   bad input gives errors naming the file.
# Usage: deepcam_end_to_end.sh SEGBENCH_DATA DEEPCAM_CLIMATE MLLOG_CHECK
set -euo pipefail
DATA_TOOL=$1 DRIVER=$2 MLLOG_CHECK=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-deepcam.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "== synth (flat) + split + stats + convert"
"$DATA_TOOL" cam5-synth --out "$WORK/flat" --train 60 --validation 0 --height 96 --width 144 \
  --event_scale 3 --seed 3 --flat > "$WORK/synth.txt"
"$DATA_TOOL" cam5-split --input "$WORK/flat/all" --out "$WORK/cam5" > "$WORK/split.txt"
[ "$(ls "$WORK"/cam5/train/*.h5 | wc -l)" -eq 48 ] || fail "expected 48 train files (80 %)"
[ "$(ls "$WORK"/cam5/validation/*.h5 | wc -l)" -eq 6 ] || fail "expected 6 validation files"
[ "$(ls "$WORK"/cam5/test/*.h5 | wc -l)" -eq 6 ] || fail "expected 6 test files"
"$DATA_TOOL" cam5-stats --data_dir "$WORK/cam5" > "$WORK/stats.txt"
[ -s "$WORK/cam5/stats.h5" ] || fail "no stats.h5"
"$DATA_TOOL" cam5-convert --data_dir "$WORK/cam5" --out "$WORK/npy" > "$WORK/convert.txt"
[ "$(ls "$WORK"/npy/train/label-*.npy | wc -l)" -eq 48 ] || fail "expected 48 train labels"

echo "== dry run of the baseline preset"
"$DRIVER" --preset baseline --dry-run > "$WORK/dry.txt"
expect_in "parameters: 56454720" "$WORK/dry.txt"
expect_in "batchnorm layers: 76" "$WORK/dry.txt"
expect_exit 2 "$WORK/closed.txt" "$DRIVER" --preset baseline --dry-run --width 0.5 \
  --submission_division closed
expect_in "width 0.5" "$WORK/closed.txt"

echo "== train to IoU 0.82 (1 thread, deterministic)"
start=$SECONDS
# Pre-empted once (SIGUSR1 once epoch 3 is trained: it stops at the next iteration boundary and
# exits 75) and resumed from its checkpoint: one result log.
train=("$DRIVER" --preset demo --device cpu --threads 1 --seed 3 --data_dir "$WORK/cam5"
  --output_dir "$WORK/out" --save_ckpt_path "$WORK/ckpt/deepcam.pt")
"${train[@]}" > "$WORK/train1.out" 2> "$WORK/train1.err" &
pid=$!
signal_after_epoch $pid "$WORK/train1.err" 3
status=0
wait $pid || status=$?
[ $status -eq 75 ] || { tail -20 "$WORK/train1.err" >&2; fail "pre-empted run exited $status, expected 75"; }
expect_in "stop requested (signal); continue with --resume" "$WORK/train1.err"
"${train[@]}" --resume "$WORK/ckpt/deepcam.pt" > "$WORK/train.out" 2> "$WORK/train.err" ||
  { tail -20 "$WORK/train.err" >&2; fail "training did not reach the target"; }
echo "   trained in $((SECONDS - start)) s: $(tail -1 "$WORK/train.err")"
LOG="$WORK/out/logs/deepcam.log"
expect_in "SUCCESS (quality target reached)" "$WORK/train.err"
expect_in "continuing the MLLOG of the interrupted run" "$WORK/train.err"
"$MLLOG_CHECK" --ruleset deepcam "$LOG"  # the official checker, HPC 3.0.0 and 2.0.0
for key in run_start run_resumed run_stop init_stop; do
  [ "$(grep -c "\"key\":\"$key\"" "$LOG")" -eq 1 ] || fail "expected one $key in $LOG"
done
expect_in '"key":"submission_division","value":"open"' "$LOG"
expect_in '"key":"train_samples","value":48' "$LOG"
expect_in '"key":"eval_samples","value":6' "$LOG"
expect_in '"key":"target_accuracy_reached"' "$LOG"
# Staging inside the timed run (HPC 1.0/2.0 rules; 3.0 accepts it there too).
grep -o '"key":"[a-z_]*"' "$LOG" | grep -A2 '"run_start"' | tr '\n' ' ' |
  grep -q '"key":"run_start" "key":"staging_start" "key":"staging_stop"' ||
  fail "staging_start/staging_stop must follow run_start"
expect_in '"staged_files":54' "$LOG"

echo "== the converted .npy layout trains the same way (smoke)"
expect_exit 1 "$WORK/npy.txt" "$DRIVER" --preset smoke --seed 3 --data_dir "$WORK/npy" \
  --data_format npy --max_epochs 1
expect_in "epoch    1/1" "$WORK/npy.txt"

# Starts two Gloo ranks of the driver with the given extra flags; each must exit with $1.
two_ranks() {
  local expected=$1 tag=$2 port=$((29700 + RANDOM % 200)) r status pids=()
  shift 2
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$DRIVER" --preset smoke \
      --seed 3 --data_dir "$WORK/cam5" --max_epochs 1 "$@" > "$WORK/$tag$r.txt" 2>&1 &
    pids+=($!)
  done
  for r in 0 1; do
    status=0
    wait "${pids[$r]}" || status=$?
    [ $status -eq "$expected" ] ||
      { cat "$WORK/$tag$r.txt" >&2; fail "$tag: rank $r exited $status, expected $expected"; }
  done
}

echo "== two ranks over Gloo, BatchNorm synchronised over both, overlapped gradients (smoke)"
two_ranks 1 rank --output_dir "$WORK/r2" --batchnorm_group_size 2 --grad_sync overlap \
  --logging_frequency 5
expect_in '"key":"number_of_ranks","value":2' "$WORK/r2/logs/deepcam.log"
expect_in '"key":"global_batch_size","value":4' "$WORK/r2/logs/deepcam.log"
expect_in '"key":"batchnorm_group_size","value":2' "$WORK/r2/logs/deepcam.log"
expect_in "2 ranks (gloo)" "$WORK/rank0.txt"
# 48 samples / 2 ranks / batch 2 = 12 iterations: train_loss at iterations 5 and 10 (averaged
# over both ranks, a collective) and at the epoch's end.
[ "$(grep -c '"key":"train_loss"' "$WORK/r2/logs/deepcam.log")" -eq 3 ] ||
  fail "expected 3 train_loss events with --logging_frequency 5"
expect_in '"key":"train_loss","value":[0-9.e-]*,"metadata":{[^}]*"epoch_num":1,"step_num":10}' \
  "$WORK/r2/logs/deepcam.log"
RANK=1 WORLD_SIZE=4 "$DRIVER" --preset smoke --data_dir "$WORK/cam5" --batchnorm_group_size 2 \
  --dry-run > "$WORK/bn_dry.txt"
expect_in "batchnorm statistics: synchronised over ranks 0-1" "$WORK/bn_dry.txt"

echo "== a BatchNorm group size that does not divide the ranks is refused"
two_ranks 2 bad_group --batchnorm_group_size 3
expect_in "rank 0/2: --batchnorm_group_size 3 must divide the number of ranks 2" "$WORK/bad_group0.txt"

echo "== bad input names the file"
mkdir -p "$WORK/bad"
cp -r "$WORK/cam5/train" "$WORK/cam5/validation" "$WORK/bad/"
expect_exit 2 "$WORK/nostats.txt" "$DRIVER" --preset smoke --data_dir "$WORK/bad"
expect_in "stats.h5" "$WORK/nostats.txt"
cp "$WORK/cam5/stats.h5" "$WORK/bad/"
first=$(ls "$WORK"/bad/validation/*.h5 | head -1)
head -c 4000 "$first" > "$first.tmp" && mv "$first.tmp" "$first"
expect_exit 2 "$WORK/corrupt.txt" "$DRIVER" --preset smoke --data_dir "$WORK/bad"
expect_in "$(basename "$first")" "$WORK/corrupt.txt"
rm -f "$WORK"/bad/validation/*.h5
expect_exit 2 "$WORK/empty.txt" "$DRIVER" --preset smoke --data_dir "$WORK/bad"
expect_in "validation" "$WORK/empty.txt"
echo "PASS"
