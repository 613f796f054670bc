# Shared helpers of the end-to-end tests (sourced). WORK must be set by the caller.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() { grep -q -- "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }; }
expect_exit() {  # expect_exit CODE OUTFILE command...
  local code=$1 out=$2 status=0
  shift 2
  "$@" > "$out" 2>&1 || status=$?
  [ $status -eq "$code" ] || { cat "$out" >&2; fail "exit $status, expected $code: $*"; }
}
# signal_after_epoch PID ERRFILE EPOCH [SIGNAL]: once the run's progress (ERRFILE) shows epoch
# EPOCH, sends it SIGNAL (default USR1; pre-emption: it stops at the next iteration boundary).
# Fails after 120 s.
signal_after_epoch() {
  local pid=$1 err=$2 epoch=$3 signal=${4:-USR1} waited=0
  until grep -qs "^epoch \{1,4\}$epoch/" "$err"; do
    kill -0 "$pid" 2> /dev/null || fail "the run ended before epoch $epoch"
    sleep 0.1
    waited=$((waited + 1))
    [ $waited -lt 1200 ] || { kill -9 "$pid"; fail "no epoch $epoch within 120 s"; }
  done
  kill -"$signal" "$pid"
}
# make_kits19_npy DATA_TOOL OUT CASES: CASES small synthetic KiTS19 cases, preprocessed into OUT.
make_kits19_npy() {
  "$1" kits19-synth --out "$2.raw" --cases "$3" --seed 3 --shape 32 64 64 --spacing 3.2 1.2 1.2 \
    > /dev/null
  "$1" kits19-preprocess --data_dir "$2.raw" --results_dir "$2" --min_shape 64 > /dev/null
}
# make_cam5 DATA_TOOL OUT TRAIN VALIDATION: small synthetic CAM5 HDF5 samples with stats.h5.
make_cam5() {
  "$1" cam5-synth --out "$2" --train "$3" --validation "$4" --height 96 --width 144 --seed 3 \
    > /dev/null
  "$1" cam5-stats --data_dir "$2" > /dev/null
}
