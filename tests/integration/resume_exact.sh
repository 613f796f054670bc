#!/usr/bin/env bash
# Bitwise resume: a run that is killed (-9) at several points, stopped by SIGTERM mid-epoch, or
# whose checkpoint write fails as on a full disk, and then resumed, ends with the same model and
# optimizer tensors as the uninterrupted run of the same seed (segbench-data checkpoint-info A B:
# exit 0 = bitwise equal) and logs the same evaluation values. unet3d at 1 and 2 Gloo ranks,
# DeepCAM and BraTS at 1 rank.
# Usage: resume_exact.sh SEGBENCH_DATA UNET3D_KITS19 DEEPCAM_CLIMATE UNET2D_BRATS
set -euo pipefail
DATA_TOOL=$1 UNET3D=$2 DEEPCAM=$3 BRATS=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-resume-exact.XXXXXX")
trap 'kill -9 $(jobs -p) 2> /dev/null || true; rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

make_kits19_npy "$DATA_TOOL" "$WORK/kits" 8
make_cam5 "$DATA_TOOL" "$WORK/cam5" 8 4
"$DATA_TOOL" brats-synth --out "$WORK/brats" --cases 10 --seed 3 --shape 64 64 24 > /dev/null
"$DATA_TOOL" brats-preprocess --data_dir "$WORK/brats/Task01_BrainTumour" \
  --results_dir "$WORK/brats2d" --patch_size 64 64 > /dev/null

RANKS=1
# launch OUT ARGS...: the run on $RANKS Gloo ranks (rank r's stderr in OUT.r.err); waits and
# returns rank 0's exit code (every rank must exit with it).
launch() {
  local out=$1 port=$((29000 + RANDOM % 900)) r status=0 first=""
  shift
  local pids=()
  for ((r = 0; r < RANKS; r++)); do
    if [ "$RANKS" -eq 1 ]; then
      "$@" > "$out.$r.out" 2> "$out.$r.err" &
    else
      RANK=$r WORLD_SIZE=$RANKS MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" \
        > "$out.$r.out" 2> "$out.$r.err" &
    fi
    pids+=($!)
  done
  LAUNCHED=("${pids[@]}")
}
wait_all() {  # wait_all: rank 0's exit code; every rank must agree
  local r status first=""
  for r in "${!LAUNCHED[@]}"; do
    status=0
    wait "${LAUNCHED[$r]}" || status=$?
    [ -n "$first" ] || first=$status
    [ "$status" -eq "$first" ] || echo "rank $r exited $status, rank 0 $first" >&2
  done
  return "$first"
}
run_to_end() {  # run_to_end OUT ARGS...: runs, fails unless it ends with 0 or 1
  local out=$1 status=0
  shift
  launch "$out" "$@"
  wait_all || status=$?
  [ $status -le 1 ] || { cat "$out.0.err" >&2; fail "$out: exited $status"; }
}
evals() { grep -o '"key":"eval_accuracy","value":[^,]*' "$1" | paste -sd' '; }
# same_as_reference NAME DIR LOG: the final checkpoint of DIR and the evaluations of LOG are the
# reference's, bitwise.
same_as_reference() {
  "$DATA_TOOL" checkpoint-info "$WORK/ref/ckpt" "$2" > "$WORK/$1.info" ||
    { cat "$WORK/$1.info" >&2; fail "$1: the resumed run's tensors differ from the uninterrupted run's"; }
  [ "$(grep -c "resumes at   epoch 5 iteration 0" "$WORK/$1.info")" -eq 2 ] ||
    fail "$1: the last checkpoints are not both of the end of the run"
  [ "$(evals "$3")" = "$(evals "$WORK/ref/log/$LOG_NAME")" ] ||
    fail "$1: logged evaluations differ: $(evals "$3") vs $(evals "$WORK/ref/log/$LOG_NAME")"
  echo "   $1: bitwise equal to the uninterrupted run"
}

# check_model NAME LOG_NAME LOG_FLAG DRIVER ARGS...: the reference run, then each fault.
check_model() {
  local name=$1 status pid
  LOG_NAME=$2
  local log_flag=$3
  shift 3
  local run=("$@" --threads 1 --seed 5 --checkpoint_every 1)
  echo "== $name on $RANKS rank(s): the uninterrupted run"
  run_to_end "$WORK/ref" "${run[@]}" "$log_flag" "$WORK/ref/log" --save_ckpt_path "$WORK/ref/ckpt/"
  [ -n "$(evals "$WORK/ref/log/$LOG_NAME")" ] || fail "$name: the reference logged no evaluation"

  echo "== $name: killed (-9) halfway through its third checkpoint write, resumed"
  SEGBENCH_FAULT_INJECT=checkpoint_write_kill:3 launch "$WORK/k1" "${run[@]}" "$log_flag" \
    "$WORK/k1/log" --save_ckpt_path "$WORK/k1/ckpt/"
  wait_all && fail "$name: the injected kill did not happen" || true
  [ -n "$(find "$WORK/k1/ckpt" -name '.*tmp*')" ] || fail "$name: no torn temporary file was left"
  run_to_end "$WORK/k1.resumed" "${run[@]}" "$log_flag" "$WORK/k1/log" \
    --save_ckpt_path "$WORK/k1/ckpt/" --resume "$WORK/k1/ckpt/"
  same_as_reference "$name-kill-in-write" "$WORK/k1/ckpt" "$WORK/k1/log/$LOG_NAME"

  echo "== $name: killed (-9) at a random point with checkpoints every iteration, resumed"
  launch "$WORK/k2" "${run[@]}" --checkpoint_every_minutes 0.0001 "$log_flag" "$WORK/k2/log" \
    --save_ckpt_path "$WORK/k2/ckpt/"
  # A random moment once the first checkpoint is there (nothing to resume from before it).
  until [ -n "$(find "$WORK/k2/ckpt" -name '*.sbck' 2> /dev/null)" ]; do sleep 0.05; done
  sleep "0.$((RANDOM % 10))"
  kill -9 "${LAUNCHED[@]}" 2> /dev/null || true
  wait_all || true
  run_to_end "$WORK/k2.resumed" "${run[@]}" --checkpoint_every_minutes 0.0001 "$log_flag" \
    "$WORK/k2/log" --save_ckpt_path "$WORK/k2/ckpt/" --resume "$WORK/k2/ckpt/"
  grep -h "resumed from" "$WORK/k2.resumed.0.err" | sed 's/^/   /'
  same_as_reference "$name-kill-mid-epoch" "$WORK/k2/ckpt" "$WORK/k2/log/$LOG_NAME"

  echo "== $name: SIGTERM during epoch 2: checkpoint at the next iteration, exit 75, resumed"
  launch "$WORK/t" "${run[@]}" "$log_flag" "$WORK/t/log" --save_ckpt_path "$WORK/t/ckpt/"
  until grep -qs "^epoch \{1,4\}1/" "$WORK/t.0.err"; do sleep 0.05; done
  kill -TERM "${LAUNCHED[0]}"
  status=0
  wait_all || status=$?
  [ $status -eq 75 ] || { cat "$WORK/t.0.err" >&2; fail "$name: SIGTERM exited $status, expected 75"; }
  run_to_end "$WORK/t.resumed" "${run[@]}" "$log_flag" "$WORK/t/log" \
    --save_ckpt_path "$WORK/t/ckpt/" --resume "$WORK/t/ckpt/"
  same_as_reference "$name-sigterm" "$WORK/t/ckpt" "$WORK/t/log/$LOG_NAME"

  echo "== $name: the second checkpoint write fails (disk full): exit 2 naming it, resumed"
  status=0
  SEGBENCH_FAULT_INJECT=checkpoint_write_fail:2 launch "$WORK/f" "${run[@]}" "$log_flag" \
    "$WORK/f/log" --save_ckpt_path "$WORK/f/ckpt/"
  wait_all || status=$?
  [ $status -eq 2 ] || { cat "$WORK/f.0.err" >&2; fail "$name: failed write exited $status, expected 2"; }
  expect_in "$WORK/f/ckpt/checkpoint-e00003-i0000000.sbck: not written (cannot write" "$WORK/f.0.err"
  expect_in "the previous checkpoint is untouched" "$WORK/f.0.err"
  [ -z "$(find "$WORK/f/ckpt" -name '.*tmp*')" ] || fail "$name: a temporary file was left"
  "$DATA_TOOL" checkpoint-info "$WORK/f/ckpt" > /dev/null || fail "$name: the previous checkpoint is damaged"
  run_to_end "$WORK/f.resumed" "${run[@]}" "$log_flag" "$WORK/f/log" \
    --save_ckpt_path "$WORK/f/ckpt/" --resume "$WORK/f/ckpt/"
  same_as_reference "$name-disk-full" "$WORK/f/ckpt" "$WORK/f/log/$LOG_NAME"
  rm -rf "$WORK"/{ref,k1,k2,t,f}*
}

check_model unet3d unet3d.log --log_dir "$UNET3D" --preset smoke --data_dir "$WORK/kits" \
  --epochs 4
check_model deepcam deepcam.log --log_dir "$DEEPCAM" --preset smoke --data_dir "$WORK/cam5" \
  --max_epochs 4
check_model brats unet2d_brats.log --log_dir "$BRATS" --preset demo --data_dir "$WORK/brats2d" \
  --max_epochs 4
RANKS=2
check_model unet3d-2ranks unet3d.log --log_dir "$UNET3D" --preset smoke --data_dir "$WORK/kits" \
  --epochs 4
echo "all resumptions bitwise equal"
