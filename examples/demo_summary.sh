# Sourced by the demo scripts: prints the result block from an MLLOG-format log, with the
# official MLPerf checker's verdict on it (MLPerf benchmarks only); returns 1 when it rejects it.
# demo_summary TITLE QUALITY_NAME LOG STATUS START_SECONDS
demo_summary() {
  local title=$1 quality=$2 log=$3 status=$4 start=$5 end last run_s
  end=$(date +%s.%N)
  if [ ! -f "$log" ]; then
    echo "== $title: no result log at $log (the run failed before writing it; exit $status)"
    return 1
  fi
  # A run that stopped before any evaluation or before run_stop has no value: say "none", do
  # not let the callers' `set -e -o pipefail` end the script without a word.
  last=$(grep '"key": *"eval_accuracy"' "$log" | tail -1 |
    sed 's/.*"value": *\([0-9.e-]*\).*/\1/' || true)
  run_s=$(awk -F'"time_ms": *' '/"run_start"|"run_stop"/ {split($2, a, ","); print a[1]}' "$log" |
    paste -sd' ' | awk 'NF == 2 {printf "%.1f", ($2 - $1) / 1000} NF != 2 {print "none"}' || true)
  echo
  echo "== $title result"
  echo "node class      : $(nproc)-core CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
  echo "status          : $([ "$status" -eq 0 ] && echo 'target reached' || echo "target NOT reached (exit $status)")"
  echo "time to target  : ${run_s} s (run_start → run_stop); whole demo $(awk "BEGIN {printf \"%.1f\", $end - $start}") s"
  printf "%-16s: %s\n" "last $quality" "$( [ -n "$last" ] && printf "%.4f" "$last" || echo none)"
  echo "log             : $log"
  local checker verdict
  checker="$(dirname "${BASH_SOURCE[0]}")/../tests/support/official_mllog_check.sh"
  if grep -q '"key": *"submission_benchmark", *"value": *"\(unet3d\|deepcam\)"' "$log"; then
    if verdict=$("$checker" "$log" 2>&1); then
      echo "MLPerf checker  : accepted ($(echo "$verdict" | sed -n 's/.*checker (\([^:]*\):.*/\1/p' | paste -sd, | sed 's/,/, /g'))"
    else
      echo "$verdict" | tail -5
      echo "MLPerf checker  : REJECTED (see above)"
      return 1
    fi
  fi
}
