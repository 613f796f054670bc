#!/usr/bin/env bash
# The DeepCAM demo on generated data, through the real path:
#   synthetic CAM5 samples (HDF5, the reference's climate/data + climate/labels_0 layout, at
#   reduced resolution) → stats.h5 over the train set → train the narrow DeepLabv3+ until the
#   validation IoU reaches 0.82.
# Usage: deepcam_demo.sh BUILD_DIR OUT_DIR [extra deepcam_climate flags...]
# Environment: SEGBENCH_DEMO_SEED (default 1), SEGBENCH_DEMO_TRAIN / _VALIDATION (sample
# counts, default 64 / 16), SEGBENCH_DEMO_HW (default "96 144").
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
shift 2
SEED=${SEGBENCH_DEMO_SEED:-1}
TRAIN=${SEGBENCH_DEMO_TRAIN:-64}
VALIDATION=${SEGBENCH_DEMO_VALIDATION:-16}
read -r HEIGHT WIDTH <<< "${SEGBENCH_DEMO_HW:-96 144}"
DATA_TOOL="$BUILD_DIR/data-tools/segbench-data"
DRIVER="$BUILD_DIR/examples/deepcam_climate"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OPENBLAS_NUM_THREADS=1

start=$(date +%s.%N)
rm -rf "$OUT_DIR/cam5"
mkdir -p "$OUT_DIR/logs"
echo "== generating $TRAIN + $VALIDATION synthetic CAM5 samples ${HEIGHT}x${WIDTH} (seed $SEED)"
"$DATA_TOOL" cam5-synth --out "$OUT_DIR/cam5" --train "$TRAIN" --validation "$VALIDATION" \
  --height "$HEIGHT" --width "$WIDTH" --event_scale "${SEGBENCH_DEMO_EVENT_SCALE:-3}" --seed "$SEED" > "$OUT_DIR/logs/synth.txt"
echo "== computing $OUT_DIR/cam5/stats.h5 over the train set"
"$DATA_TOOL" cam5-stats --data_dir "$OUT_DIR/cam5"
echo "== training (preset demo)"
LOG="$OUT_DIR/logs/deepcam.log"
rm -f "$LOG"
status=0
"$DRIVER" --preset demo --data_dir "$OUT_DIR/cam5" --output_dir "$OUT_DIR" --run_tag deepcam \
  --seed "$SEED" "$@" > "$OUT_DIR/logs/deepcam_stdout.txt" || status=$?
source "$(dirname "${BASH_SOURCE[0]}")/demo_summary.sh"
demo_summary "DeepCAM demo" "IoU" "$LOG" "$status" "$start"
exit $status
