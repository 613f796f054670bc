#!/usr/bin/env bash
# --amp, --channels_last and --tf32 through the real drivers on the CPU: the dry run shows the
# resolved precision, a bf16 epoch trains (finite loss, same log keys), channels-last is refused
# on the CPU, and a bad value is refused naming the flag.
# Usage: precision_flags.sh SEGBENCH_DATA UNET3D_KITS19 DEEPCAM_CLIMATE
set -euo pipefail
DATA_TOOL=$1 UNET3D=$2 DEEPCAM=$3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-precision.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_kits19_npy "$DATA_TOOL" "$WORK/kits" 6
make_cam5 "$DATA_TOOL" "$WORK/cam5" 4 2

check_driver() {  # check_driver NAME EPOCHS_FLAG DRIVER ARGS...
  local name=$1 epochs_flag=$2
  shift 2
  echo "== $name"
  "$@" --dry-run > "$WORK/$name.dry_default.txt"
  expect_in "precision: fp32$" "$WORK/$name.dry_default.txt"
  "$@" --dry-run --amp --tf32 > "$WORK/$name.dry.txt"
  expect_in "precision: bf16 autocast$" "$WORK/$name.dry.txt"
  expect_in '"amp": "bf16"' "$WORK/$name.dry.txt"
  expect_in '"tf32": true' "$WORK/$name.dry.txt"
  # Channels-last is CUDA-only: oneDNN's CPU convolution backward corrupts memory with it.
  expect_exit 2 "$WORK/$name.cl.txt" "$@" --device cpu --channels_last
  expect_in "channels_last on the CPU (cpu): refused" "$WORK/$name.cl.txt"
  "$@" --dry-run --amp auto > "$WORK/$name.dry_auto.txt"
  grep -q "device: cuda" "$WORK/$name.dry_auto.txt" ||
    expect_in "precision: fp32$" "$WORK/$name.dry_auto.txt"  # auto on the CPU: fp32
  local status=0
  "$@" --device cpu --threads 1 "$epochs_flag" 1 --amp bf16 --tf32 \
    > "$WORK/$name.log" 2> "$WORK/$name.err" || status=$?
  [ $status -le 1 ] || { cat "$WORK/$name.err" >&2; fail "$name: bf16 run exited $status"; }
  expect_in "epoch    1/1 loss [0-9]" "$WORK/$name.err"
  expect_in '"key":"run_stop"' "$WORK/$name.log"
  expect_exit 2 "$WORK/$name.bad.txt" "$@" --amp fp16
  expect_in "amp" "$WORK/$name.bad.txt"
  expect_in "fp16" "$WORK/$name.bad.txt"
}
check_driver unet3d --epochs "$UNET3D" --preset smoke --seed 3 --data_dir "$WORK/kits"
check_driver deepcam --max_epochs "$DEEPCAM" --preset smoke --seed 3 --data_dir "$WORK/cam5"
echo "precision flags OK"
