#!/usr/bin/env bash
# A run stopped by SIGUSR1 (pre-emption) and resumed from its checkpoint writes ONE result log
# that the official MLPerf checker accepts: one init block and run_start, a run_resumed marker,
# every epoch once, one run_stop. Resuming a finished run is refused, and a fresh run in the same
# place sets the older log aside (another configuration: tests/unit/log/log_file.test.cpp).
# For the 3D U-Net (training rules) and DeepCAM; and a run killed (-9) after its last checkpoint,
# whose later epochs the resumed run cuts from the log and logs again.
# Usage: resume_log.sh SEGBENCH_DATA UNET3D_KITS19 DEEPCAM_CLIMATE OFFICIAL_MLLOG_CHECK
set -euo pipefail
DATA_TOOL=$1 UNET3D=$2 DEEPCAM=$3 CHECK=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-resume-log.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
count() { grep -c "\"key\": *\"$1\"" "$2" || true; }

make_kits19_npy "$DATA_TOOL" "$WORK/kits" 8
make_cam5 "$DATA_TOOL" "$WORK/cam5" 8 4

# interrupted_then_resumed NAME LOG EPOCHS_FLAG CHECKER DRIVER ARGS...: stops the run with
# SIGUSR1 once its first epoch is done, resumes it from the checkpoint, and checks the one log
# (CHECKER: the official checker, or `true` where its rules need a converged run).
interrupted_then_resumed() {
  local name=$1 log=$2 epochs_flag=$3 checker=$4 signal=$5 status=0
  shift 5
  local run=("$@" --threads 1 --seed 5 --save_ckpt_path "$WORK/$name/ckpt.pt")
  echo "== $name: stopped by $signal during epoch 2, then resumed"
  "${run[@]}" "$epochs_flag" 6 > /dev/null 2> "$WORK/$name.1.err" &
  local pid=$!
  signal_after_epoch $pid "$WORK/$name.1.err" 1 "$signal"
  wait $pid || status=$?
  [ $status -eq 75 ] || { cat "$WORK/$name.1.err" >&2; fail "$name: stopped run exited $status, expected 75"; }
  expect_in "stop requested (signal); continue with --resume" "$WORK/$name.1.err"
  expect_in "STOPPED (stop requested" "$WORK/$name.1.err"
  [ "$(count run_stop "$log")" -eq 0 ] || fail "$name: the interrupted run logged run_stop"
  # Stopped at an iteration boundary of epoch E (run_resumed then names E - 1, the last whole
  # epoch), or right after an epoch when the signal came during its evaluation.
  local stopped_after
  stopped_after=$(sed -n -e 's/.*stop requested: stopped at epoch \([0-9]*\) iteration.*/\1/p' \
    "$WORK/$name.1.err")
  if [ -n "$stopped_after" ]; then
    stopped_after=$((stopped_after - 1))
  else
    stopped_after=$(sed -n 's/.*stop requested after epoch \([0-9]*\).*/\1/p' "$WORK/$name.1.err")
  fi
  [ -n "$stopped_after" ] && [ "$stopped_after" -lt 6 ] || fail "$name: the run was not interrupted"

  status=0
  "${run[@]}" "$epochs_flag" 6 --resume "$WORK/$name/ckpt.pt" > /dev/null 2> "$WORK/$name.2.err" ||
    status=$?
  [ $status -le 1 ] || { cat "$WORK/$name.2.err" >&2; fail "$name: resumed run exited $status"; }
  expect_in "continuing the MLLOG of the interrupted run in $log" "$WORK/$name.2.err"
  "$checker" "$log"
  local key
  for key in init_start init_stop run_start run_resumed run_stop submission_benchmark; do
    [ "$(count $key "$log")" -eq 1 ] || fail "$name: $(count $key "$log") $key events in $log"
  done
  [ "$(grep '"key": *"epoch_start"' "$log" | sed 's/.*"epoch_num": *\([0-9]*\).*/\1/' | paste -sd,)" = \
    "1,2,3,4,5,6" ] || fail "$name: epochs in $log are not 1..6 once each"
  grep -q "\"key\": *\"run_resumed\".*\"epoch_num\": *$stopped_after" "$log" ||
    fail "$name: run_resumed does not name epoch $stopped_after"

  echo "== $name: resuming a finished run is refused; a fresh run starts a new log"
  cp "$log" "$WORK/$name.finished.log"
  expect_exit 2 "$WORK/$name.3.err" "${run[@]}" "$epochs_flag" 7 --resume "$WORK/$name/ckpt.pt"
  expect_in "already ends its run" "$WORK/$name.3.err"
  cmp -s "$log" "$WORK/$name.finished.log" || fail "$name: a refused resumption changed $log"
  status=0
  "${run[@]}" "$epochs_flag" 1 > /dev/null 2> "$WORK/$name.4.err" || status=$?
  [ $status -le 1 ] || { cat "$WORK/$name.4.err" >&2; fail "$name: fresh run exited $status"; }
  cmp -s "$log.1" "$WORK/$name.finished.log" || fail "$name: the older log was not kept as $log.1"
  [ "$(count run_start "$log")" -eq 1 ] || fail "$name: the fresh run appended to the older log"
  "$checker" "$log" > /dev/null
}

# killed_then_resumed: kill -9 during epoch 4 with the checkpoint of epoch 2 (--checkpoint_every 2):
# the resumed run cuts epochs 3-4 from the log and logs them again, once.
killed_then_resumed() {
  local log="$WORK/killed/logs/unet3d.log" status=0
  local run=("$UNET3D" --preset smoke --data_dir "$WORK/kits" --log_dir "$WORK/killed/logs"
    --threads 1 --seed 5 --epochs 6 --checkpoint_every 2 --save_ckpt_path "$WORK/killed/ckpt.pt")
  echo "== unet3d: killed (-9) after epoch 3 with the checkpoint of epoch 2, then resumed"
  "${run[@]}" > /dev/null 2> "$WORK/killed.1.err" &
  local pid=$! waited=0
  until grep -qs "^epoch    3/6" "$WORK/killed.1.err"; do
    kill -0 $pid 2> /dev/null || fail "the run ended before epoch 3"
    sleep 0.1
    waited=$((waited + 1))
    [ $waited -lt 1200 ] || { kill -9 $pid; fail "no epoch 3 within 120 s"; }
  done
  kill -9 $pid
  wait $pid 2> /dev/null || true
  grep -q '"key": *"epoch_start".*"epoch_num": *3' "$log" || fail "epoch 3 was not logged before the kill"
  "${run[@]}" --resume "$WORK/killed/ckpt.pt" > /dev/null 2> "$WORK/killed.2.err" || status=$?
  [ $status -le 1 ] || { cat "$WORK/killed.2.err" >&2; fail "resumed run exited $status"; }
  expect_in "resumed from $WORK/killed/ckpt.pt at epoch 3 iteration 0" "$WORK/killed.2.err"
  "$CHECK" "$log"
  [ "$(grep '"key": *"epoch_start"' "$log" | sed 's/.*"epoch_num": *\([0-9]*\).*/\1/' | paste -sd,)" = \
    "1,2,3,4,5,6" ] || fail "epochs in $log are not 1..6 once each after the kill"
  [ "$(count run_start "$log")" -eq 1 ] && [ "$(count run_stop "$log")" -eq 1 ] ||
    fail "expected one run_start and one run_stop in $log"
}

interrupted_then_resumed unet3d "$WORK/unet3d/logs/unet3d.log" --epochs "$CHECK" USR1 \
  "$UNET3D" --preset smoke --data_dir "$WORK/kits" --log_dir "$WORK/unet3d/logs"
# The HPC rules accept only a DeepCAM log that reaches IoU 0.82: deepcam_end_to_end checks a
# resumed run's log with the official checker; here, the log's structure.
interrupted_then_resumed deepcam "$WORK/deepcam/out/logs/deepcam.log" --max_epochs true TERM \
  "$DEEPCAM" --preset smoke --data_dir "$WORK/cam5" --output_dir "$WORK/deepcam/out"
killed_then_resumed
echo "resume log OK"
