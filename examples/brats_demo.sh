#!/usr/bin/env bash
# The nnU-Net 2D BraTS demo on generated data, through the real path:
#   synthetic MSD Task01 (4-D NIfTI + dataset.json) → nnU-Net 2D preprocessing (crop to
#   foreground, z-score, pad/centre-crop → .npy) → train the narrow 2D U-Net on folds 1–4
#   until the mean Dice on fold 0 reaches 0.90.
# Usage: brats_demo.sh BUILD_DIR OUT_DIR [extra unet2d_brats flags...]
# Environment: SEGBENCH_DEMO_SEED (default 1), SEGBENCH_DEMO_CASES (default 20),
# SEGBENCH_DEMO_SHAPE (X Y Z, default "72 72 40").
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
shift 2
SEED=${SEGBENCH_DEMO_SEED:-1}
CASES=${SEGBENCH_DEMO_CASES:-20}
read -r SX SY SZ <<< "${SEGBENCH_DEMO_SHAPE:-72 72 40}"
DATA_TOOL="$BUILD_DIR/data-tools/segbench-data"
DRIVER="$BUILD_DIR/examples/unet2d_brats"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OPENBLAS_NUM_THREADS=1

start=$(date +%s.%N)
rm -rf "$OUT_DIR/msd" "$OUT_DIR/brats_2d"
mkdir -p "$OUT_DIR/logs"
echo "== generating $CASES synthetic BraTS cases ${SX}x${SY}x${SZ} (seed $SEED)"
"$DATA_TOOL" brats-synth --out "$OUT_DIR/msd" --cases "$CASES" --seed "$SEED" \
  --shape "$SX" "$SY" "$SZ" > "$OUT_DIR/logs/brats_synth.txt"
echo "== nnU-Net 2D preprocessing to $OUT_DIR/brats_2d"
"$DATA_TOOL" brats-preprocess --data_dir "$OUT_DIR/msd/Task01_BrainTumour" \
  --results_dir "$OUT_DIR/brats_2d" --patch_size 64 64 > "$OUT_DIR/logs/brats_preprocess.txt"
echo "== training (preset demo)"
LOG="$OUT_DIR/logs/unet2d_brats.log"
rm -f "$LOG"
status=0
"$DRIVER" --preset demo --data_dir "$OUT_DIR/brats_2d" --log_dir "$OUT_DIR/logs" \
  --seed "$SEED" "$@" > "$OUT_DIR/logs/brats_stdout.txt" || status=$?
source "$(dirname "${BASH_SOURCE[0]}")/demo_summary.sh"
demo_summary "BraTS demo" "mean Dice" "$LOG" "$status" "$start"
exit $status
