#!/usr/bin/env bash
# The 3D U-Net demo on generated data, through the real path:
#   synthetic raw KiTS19 (NIfTI) → preprocess (resample, clip, normalise → .npy + checksums)
#   → verify → train the reduced U-Net until mean Dice ≥ 0.908 on the held-out cases.
# Usage: kits19_demo.sh BUILD_DIR OUT_DIR [extra unet3d_kits19 flags...]
# Environment: SEGBENCH_DEMO_SEED (default 1), SEGBENCH_DEMO_CASES (default 20).
# The raw in-plane spacing equals the target (1.2 mm) so that only the slice axis is
# resampled: the reference resamples images trilinearly with align_corners=True but labels
# with legacy nearest, which shifts labels against the image by up to one voxel on every
# resampled axis — harmless on real 512² slices, noticeable on 64² toy volumes.
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
shift 2
SEED=${SEGBENCH_DEMO_SEED:-1}
CASES=${SEGBENCH_DEMO_CASES:-20}
DATA_TOOL="$BUILD_DIR/data-tools/segbench-data"
DRIVER="$BUILD_DIR/examples/unet3d_kits19"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OPENBLAS_NUM_THREADS=1

start=$(date +%s.%N)
rm -rf "$OUT_DIR/raw" "$OUT_DIR/preprocessed"
mkdir -p "$OUT_DIR/logs"
echo "== generating $CASES synthetic KiTS19 cases (seed $SEED) in $OUT_DIR/raw"
"$DATA_TOOL" kits19-synth --out "$OUT_DIR/raw" --cases "$CASES" --seed "$SEED" \
  --shape 32 64 64 --spacing 3.2 1.2 1.2
echo "== preprocessing to $OUT_DIR/preprocessed"
"$DATA_TOOL" kits19-preprocess --data_dir "$OUT_DIR/raw" --results_dir "$OUT_DIR/preprocessed" \
  --min_shape 64
"$DATA_TOOL" kits19-verify --results_dir "$OUT_DIR/preprocessed"
echo "== training (preset demo)"
rm -f "$OUT_DIR/logs/unet3d.log"
status=0
"$DRIVER" --preset demo --data_dir "$OUT_DIR/preprocessed" --log_dir "$OUT_DIR/logs" \
  --seed "$SEED" "$@" > "$OUT_DIR/logs/stdout.txt" || status=$?
source "$(dirname "${BASH_SOURCE[0]}")/demo_summary.sh"
demo_summary "3D U-Net demo" "mean Dice" "$OUT_DIR/logs/unet3d.log" "$status" "$start"
exit $status
