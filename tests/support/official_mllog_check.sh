#!/usr/bin/env bash
# Checks MLLOG result files with the official MLPerf compliance checker (the pinned
# mlperf-logging of mlperf_logging_requirements.txt, which run.sh installs), under the rules of
# each log's benchmark: unet3d → training 4.0.0; deepcam → HPC 3.0.0 and HPC 2.0.0. The checker
# takes the division (closed/open) from the log itself.
# Usage: official_mllog_check.sh [--ruleset IGNORED] LOG...   exit 1 when any log is rejected,
#        2 when the checker is not installed.
# Environment: SEGBENCH_MLPERF_VENV (default <repo>/.cache/mlperf-logging).
set -euo pipefail
venv=${SEGBENCH_MLPERF_VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cache/mlperf-logging}
python=$venv/bin/python3
if ! "$python" -c 'import mlperf_logging.compliance_checker' 2> /dev/null; then
  echo "official_mllog_check: no mlperf-logging in $venv (./run.sh test installs it)" >&2
  exit 2
fi
if [ "${1:-}" = --ruleset ]; then shift 2; fi
[ $# -gt 0 ] || { echo "usage: official_mllog_check.sh LOG..." >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/segbench-checker.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0
for log in "$@"; do
  [ -r "$log" ] || { echo "$log: cannot read" >&2; status=1; continue; }
  benchmark=$(grep -o '"key": *"submission_benchmark", *"value": *"[^"]*"' "$log" | head -1 |
    sed 's/.*"value": *"\([^"]*\)"/\1/' || true)
  case "$benchmark" in
    unet3d) rulesets=("training 4.0.0") ;;
    deepcam) rulesets=("hpc 3.0.0" "hpc 2.0.0") ;;
    "") echo "$log: no submission_benchmark: not an MLPerf result log" >&2; status=1; continue ;;
    *) echo "$log: the official checker has no rules for benchmark '$benchmark'" >&2; status=1; continue ;;
  esac
  for ruleset in "${rulesets[@]}"; do
    usage=${ruleset% *} version=${ruleset#* }
    if "$python" -m mlperf_logging.compliance_checker --usage "$usage" --ruleset "$version" \
      --log_output "$scratch/checker.log" "$log" > "$scratch/out.txt" 2>&1; then
      checks=$(grep -o 'Compliance checks: [^ ]*' "$scratch/out.txt" | sed 's/Compliance checks: //' |
        tr '\n' ' ')
      echo "$log: accepted by the official checker ($usage $version: ${checks% })"
    else
      grep -v '^\*\* Logging output' "$scratch/out.txt" >&2 || true
      echo "$log: REJECTED by the official checker ($usage $version rules)" >&2
      status=1
    fi
  done
done
exit $status
