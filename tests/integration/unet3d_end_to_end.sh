#!/usr/bin/env bash
# End to end through the real binaries, on tiny synthetic data:
#   synth → preprocess → verify → dry run → train a reduced U-Net to mean Dice ≥ 0.908
#   → the MLLOG passes the 4.0.0 unet3d rules; then bad input gives errors naming the file.
# Usage: unet3d_end_to_end.sh SEGBENCH_DATA UNET3D_KITS19 MLLOG_CHECK
set -euo pipefail
DATA_TOOL=$1 DRIVER=$2 MLLOG_CHECK=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() { grep -q -- "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }; }

echo "== synth + preprocess + verify"
"$DATA_TOOL" kits19-synth --out "$WORK/raw" --cases 20 --seed 3 --shape 32 64 64 \
  --spacing 3.2 1.2 1.2 > "$WORK/synth.txt"
"$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" --results_dir "$WORK/npy" \
  --min_shape 64 > "$WORK/prep.txt"
"$DATA_TOOL" kits19-verify --results_dir "$WORK/npy" > "$WORK/verify.txt"
[ "$(ls "$WORK"/npy/case_*_x.npy | wc -l)" -eq 20 ] || fail "expected 20 image files"
# Synthetic data: verified against segbench's manifest, never presented as the official data.
expect_in "segbench_manifest.json (synthetic data); not verified as the official KiTS19 data" "$WORK/verify.txt"
[ ! -e "$WORK/npy/checksum.json" ] || fail "preprocess wrote checksum.json (the upstream table's name)"
# Against the official MLCommons table (shipped in the source tree): every file mismatches,
# the manifest is not a data file, and no verification record is left.
status=0
"$DATA_TOOL" kits19-verify --results_dir "$WORK/npy" \
  --checksums "$(dirname "${BASH_SOURCE[0]}")/../../src/prep/kits19_checksum.json" \
  > "$WORK/verify_official.txt" 2>&1 || status=$?
[ $status -eq 1 ] || fail "synthetic data against the official table exited $status, expected 1"
expect_in "case_00000_x.npy: MD5 mismatch" "$WORK/verify_official.txt"
expect_in "verification failed: 420 problem(s)" "$WORK/verify_official.txt"  # 40 mismatch, 380 missing
grep -q "segbench_manifest.json: unexpected" "$WORK/verify_official.txt" && fail "the manifest counted as a data file"
[ ! -e "$WORK/npy/segbench_verified.json" ] || fail "a failed verification left a record"

echo "== dry run of the baseline preset (and its alias reference)"
"$DRIVER" --preset reference --data_dir "$WORK/npy" --dry-run > "$WORK/dry.txt"
expect_in "parameters: 31190243" "$WORK/dry.txt"
expect_in '"preset": "baseline"' "$WORK/dry.txt"
expect_in '"start_eval_at": 500' "$WORK/dry.txt"
expect_in "alias of --preset baseline" "$WORK/dry.txt"

echo "== closed division refused on data that is not the verified official KiTS19 data"
status=0
"$DRIVER" --preset smoke --threads 1 --data_dir "$WORK/npy" --submission_division closed \
  > /dev/null 2> "$WORK/closed.txt" || status=$?
[ $status -eq 2 ] || fail "--submission_division closed on synthetic data exited $status, expected 2"
expect_in "closed needs the official KiTS19 data: .*segbench_verified.json not found" "$WORK/closed.txt"

echo "== train to the target (1 thread, deterministic)"
start=$SECONDS
"$DRIVER" --preset demo --device cpu --threads 1 --seed 3 --data_dir "$WORK/npy" --log_dir "$WORK/logs" \
  --save_ckpt_path "$WORK/ckpt/unet3d.pt" > "$WORK/train.out" 2> "$WORK/train.err" ||
  { tail -20 "$WORK/train.err" >&2; fail "training did not reach the target"; }
echo "   trained in $((SECONDS - start)) s: $(tail -1 "$WORK/train.err")"
expect_in "SUCCESS (quality target reached)" "$WORK/train.err"
expect_in "note: submission_division open (15 train / 5 eval cases)" "$WORK/train.err"
"$MLLOG_CHECK" "$WORK/logs/unet3d.log"
expect_in '"key":"submission_division","value":"open"' "$WORK/logs/unet3d.log"
expect_in '"key":"train_samples","value":15' "$WORK/logs/unet3d.log"
expect_in '"key":"eval_samples","value":5' "$WORK/logs/unet3d.log"
expect_in '"key":"number_of_nodes","value":1' "$WORK/logs/unet3d.log"
[ "$(grep -c '"key":"weights_initialization"' "$WORK/logs/unet3d.log")" -eq 41 ] ||
  fail "expected 41 weights_initialization events (4 + 4·4 + 4·5 + 1) for filters 8-16-32-64"
last=$(grep '"key":"eval_accuracy"' "$WORK/logs/unet3d.log" | tail -1 | sed 's/.*"value":\([0-9.e-]*\).*/\1/')
awk "BEGIN {exit !($last >= 0.908)}" || fail "last eval_accuracy $last < 0.908"
[ -s "$WORK/ckpt/unet3d.pt" ] || fail "no checkpoint written"
[ -z "$(ls -A "$WORK/ckpt" | grep -v '^unet3d.pt$')" ] || fail "temp files left beside the checkpoint"

echo "== checkpoint and resume"
smoke=("$DRIVER" --preset smoke --threads 1 --seed 5 --data_dir "$WORK/npy")
status=0
"${smoke[@]}" --epochs 1 --save_ckpt_path "$WORK/resume/ckpt.pt" > /dev/null 2> "$WORK/r1.err" || status=$?
[ $status -eq 1 ] || { cat "$WORK/r1.err" >&2; fail "smoke run exited $status, expected 1 (target not reached)"; }
[ -s "$WORK/resume/ckpt.pt" ] || fail "smoke run wrote no checkpoint"
status=0
"${smoke[@]}" --epochs 2 --resume "$WORK/resume/ckpt.pt" > /dev/null 2> "$WORK/r2.err" || status=$?
[ $status -eq 1 ] || { cat "$WORK/r2.err" >&2; fail "resumed run exited $status, expected 1"; }
expect_in "resumed from $WORK/resume/ckpt.pt at epoch 2 iteration 0" "$WORK/r2.err"
expect_in "epoch    2/2" "$WORK/r2.err"
grep -q "epoch    1/2" "$WORK/r2.err" && fail "resumed run repeated epoch 1"
status=0
"$DRIVER" --preset smoke --threads 1 --seed 6 --data_dir "$WORK/npy" --epochs 2 \
  --resume "$WORK/resume/ckpt.pt" > /dev/null 2> "$WORK/r3.err" || status=$?
[ $status -eq 2 ] || fail "resume with another seed exited $status, expected 2"
expect_in "seed 5" "$WORK/r3.err"

echo "== SIGUSR1 (pre-emption warning): stop at the next iteration with a checkpoint, exit 75"
"${smoke[@]}" --epochs 200 --save_ckpt_path "$WORK/usr1/ckpt.pt" > /dev/null 2> "$WORK/usr1.err" &
pid=$!
sleep 6
kill -USR1 "$pid"
( sleep 60; kill -9 "$pid" 2> /dev/null ) > /dev/null 2>&1 &  # never wait forever
guard=$!
status=0
wait "$pid" || status=$?
pkill -P "$guard" 2> /dev/null || true
kill "$guard" 2> /dev/null || true
[ $status -eq 75 ] || { cat "$WORK/usr1.err" >&2; fail "SIGUSR1 run exited $status, expected 75"; }
expect_in "stop requested (signal); continue with --resume" "$WORK/usr1.err"
[ -s "$WORK/usr1/ckpt.pt" ] || fail "no checkpoint after SIGUSR1"

echo "== a rank killed mid-run: the other exits non-zero within the bound, naming it"
port=$((20000 + RANDOM % 20000))
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port timeout -k 3 120 \
    "$DRIVER" --preset smoke --threads 1 --epochs 200 --dist gloo --dist_timeout 20 \
    --data_dir "$WORK/npy" > /dev/null 2> "$WORK/kill.$r.err" &
  pids[$r]=$!
done
sleep 8
pkill -9 -P "${pids[1]}"  # the driver itself (a child of `timeout`)
kill -9 "${pids[1]}" 2> /dev/null || true
killed_at=$SECONDS
status=0
wait "${pids[0]}" || status=$?
wait "${pids[1]}" 2> /dev/null || true
[ $status -eq 2 ] || { cat "$WORK/kill.0.err" >&2; fail "rank 0 exited $status after rank 1 was killed, expected 2"; }
[ $((SECONDS - killed_at)) -le 30 ] || fail "rank 0 took $((SECONDS - killed_at)) s to notice the lost rank"
expect_in "rank 0/2: .* failed: lost rank 1" "$WORK/kill.0.err"
echo "   rank 0 exited with 2 after $((SECONDS - killed_at)) s: $(tail -1 "$WORK/kill.0.err" | cut -c1-110)"

echo "== bad input gives clear errors"
cp -r "$WORK/npy" "$WORK/bad"
head -c 100 "$WORK/npy/case_00001_x.npy" > "$WORK/bad/case_00001_x.npy"
rm "$WORK/bad/case_00002_y.npy"
status=0
"$DATA_TOOL" kits19-verify --results_dir "$WORK/bad" > "$WORK/verify_bad.txt" 2>&1 || status=$?
[ $status -eq 1 ] || fail "verify on corrupt data exited $status, expected 1"
expect_in "case_00001_x.npy" "$WORK/verify_bad.txt"
expect_in "case_00002_y.npy" "$WORK/verify_bad.txt"
status=0
"$DRIVER" --preset smoke --data_dir "$WORK/bad" > /dev/null 2> "$WORK/driver_bad.txt" || status=$?
[ $status -eq 2 ] || fail "driver on unpaired data exited $status, expected 2"
expect_in "case_00002_x.npy" "$WORK/driver_bad.txt"
cp "$WORK/npy/case_00002_y.npy" "$WORK/bad/"
status=0
"$DRIVER" --preset smoke --data_dir "$WORK/bad" > /dev/null 2> "$WORK/driver_bad.txt" || status=$?
[ $status -eq 2 ] || fail "driver on a truncated file exited $status, expected 2"
expect_in "case_00001_x.npy" "$WORK/driver_bad.txt"
status=0
"$DRIVER" --preset smoke --data_dir "$WORK/does-not-exist" > /dev/null 2> "$WORK/driver_bad.txt" || status=$?
[ $status -eq 2 ] || fail "driver on a missing directory exited $status, expected 2"
expect_in "does-not-exist" "$WORK/driver_bad.txt"
# --device cuda where this process sees no GPU: a clear error at once, before any data is read.
if ! nvidia-smi -L > /dev/null 2>&1; then
  status=0
  "$DRIVER" --preset smoke --device cuda --data_dir "$WORK/npy" > /dev/null 2> "$WORK/no_gpu.txt" ||
    status=$?
  [ $status -eq 2 ] || fail "--device cuda without a GPU exited $status, expected 2"
  expect_in "--device cuda: CUDA is not available" "$WORK/no_gpu.txt"
fi
status=0
"$DRIVER" --preset smoke --device tpu --data_dir "$WORK/npy" > /dev/null 2> "$WORK/bad_device.txt" ||
  status=$?
[ $status -eq 2 ] || fail "--device tpu exited $status, expected 2"
expect_in "--device tpu: expected auto, cpu, cuda or cuda:N" "$WORK/bad_device.txt"
echo "end-to-end OK"
