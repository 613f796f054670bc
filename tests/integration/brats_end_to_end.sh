#!/usr/bin/env bash
# nnU-Net 2D BraTS end to end through the real binaries, on small synthetic MSD Task01 data:
#   synth → preprocess; dry run; train the demo network on folds 1–4 to mean Dice ≥ 0.90 on
#   fold 0; a 2-rank Gloo run; bad input gives errors naming the file.
# Usage: brats_end_to_end.sh SEGBENCH_DATA UNET2D_BRATS
set -euo pipefail
DATA_TOOL=$1 DRIVER=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-brats.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

echo "== synth + preprocess"
"$DATA_TOOL" brats-synth --out "$WORK/msd" --cases 20 --seed 3 --shape 72 72 40 > "$WORK/synth.txt"
TASK="$WORK/msd/Task01_BrainTumour"
[ -s "$TASK/dataset.json" ] || fail "no dataset.json"
"$DATA_TOOL" brats-preprocess --data_dir "$TASK" --results_dir "$WORK/2d" --patch_size 64 64 \
  > "$WORK/prep.txt"
[ "$(ls "$WORK"/2d/BRATS_*_x.npy | wc -l)" -eq 20 ] || fail "expected 20 image files"
expect_in '"patch_size"' "$WORK/2d/config.json"

echo "== dry run of the reference preset"
"$DRIVER" --preset reference --dry-run > "$WORK/dry.txt"
expect_in "parameters: 20616948" "$WORK/dry.txt"

echo "== train to mean Dice 0.90 (1 thread, deterministic)"
start=$SECONDS
"$DRIVER" --preset demo --device cpu --threads 1 --seed 3 --data_dir "$WORK/2d" --log_dir "$WORK/logs" \
  --save_ckpt_path "$WORK/ckpt/unet2d.pt" > "$WORK/train.out" 2> "$WORK/train.err" ||
  { tail -20 "$WORK/train.err" >&2; fail "training did not reach the target"; }
echo "   trained in $((SECONDS - start)) s: $(tail -1 "$WORK/train.err")"
LOG="$WORK/logs/unet2d_brats.log"
expect_in "SUCCESS (quality target reached)" "$WORK/train.err"
expect_in "images/s" "$WORK/train.err"
expect_in '"key":"submission_benchmark","value":"unet2d_brats"' "$LOG"
expect_in '"key":"train_samples","value":16' "$LOG"
expect_in '"key":"eval_samples","value":4' "$LOG"
expect_in '"key":"run_stop","value":null,"metadata":{.*"status":"success"' "$LOG"
bad_lines=$(grep -cv '^:::MLLOG {"namespace":"","time_ms":[0-9]*,"event_type":"[A-Z_]*","key":"[a-z_0-9]*","value":.*,"metadata":{.*}}$' "$LOG" || true)
[ "$bad_lines" -eq 0 ] || fail "$bad_lines log lines not in the MLLOG line format"
[ -s "$WORK/ckpt/unet2d.pt" ] || fail "no checkpoint written"

echo "== two ranks over Gloo (smoke)"
port=$((29900 + RANDOM % 90))
pids=()
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$DRIVER" --preset demo \
    --seed -1 --threads 1 --data_dir "$WORK/2d" --max_epochs 1 --log_dir "$WORK/r2" \
    > "$WORK/rank$r.txt" 2>&1 &
  pids+=($!)
done
for r in 0 1; do
  status=0
  wait "${pids[$r]}" || status=$?
  [ $status -eq 1 ] || { cat "$WORK/rank$r.txt" >&2; fail "rank $r exited $status, expected 1"; }
done
expect_in '"key":"number_of_ranks","value":2' "$WORK/r2/unet2d_brats.log"
expect_in '"key":"number_of_nodes","value":1' "$WORK/r2/unet2d_brats.log"
expect_in '"key":"accelerators_per_node","value":0' "$WORK/r2/unet2d_brats.log"
expect_in "2 ranks (gloo)" "$WORK/rank0.txt"

echo "== bad input names the file"
expect_exit 2 "$WORK/patch.txt" "$DRIVER" --preset demo --data_dir "$WORK/2d" --patch 32 32
expect_in "config.json" "$WORK/patch.txt"
"$DATA_TOOL" kits19-synth --out "$WORK/k" --cases 1 --shape 8 16 16 > /dev/null
cp "$WORK/k/case_00000/imaging.nii.gz" "$TASK/imagesTr/BRATS_002.nii.gz"
expect_exit 2 "$WORK/3d.txt" "$DATA_TOOL" brats-preprocess --data_dir "$TASK" \
  --results_dir "$WORK/2d-bad" --patch_size 64 64
expect_in "BRATS_002.nii.gz" "$WORK/3d.txt"
rm "$TASK/imagesTr/BRATS_003.nii.gz"
expect_exit 2 "$WORK/missing.txt" "$DATA_TOOL" brats-preprocess --data_dir "$TASK" \
  --results_dir "$WORK/2d-bad" --patch_size 64 64
expect_in "BRATS_003.nii.gz" "$WORK/missing.txt"
echo "PASS"
