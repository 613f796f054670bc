# Shared helpers of the end-to-end tests (sourced). WORK must be set by the caller.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() { grep -q -- "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }; }
expect_exit() {  # expect_exit CODE OUTFILE command...
  local code=$1 out=$2 status=0
  shift 2
  "$@" > "$out" 2>&1 || status=$?
  [ $status -eq "$code" ] || { cat "$out" >&2; fail "exit $status, expected $code: $*"; }
}
