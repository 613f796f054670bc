#!/usr/bin/env bash
# The official-checker wrapper that the end-to-end tests use tells accepted logs from rejected
# ones: the example logs the MLPerf checker accepts pass, the three it rejects fail, and so do a
# log of no MLPerf benchmark and a missing checker.
# Usage: official_checker_examples.sh OFFICIAL_MLLOG_CHECK EXAMPLES_DIR
set -euo pipefail
CHECK=$1 EXAMPLES=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-checker-examples.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for log in "$EXAMPLES"/*.log; do
  "$CHECK" "$log" > "$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt" >&2; fail "rejected $log"; }
  expect_in "accepted by the official checker" "$WORK/out.txt"
done
for log in "$EXAMPLES"/negative/*.log; do
  expect_exit 1 "$WORK/neg.txt" "$CHECK" "$log"
  expect_in "REJECTED by the official checker" "$WORK/neg.txt"
done
# Both HPC rulesets run on a DeepCAM log; one verdict per ruleset.
"$CHECK" "$EXAMPLES/deepcam_closed.log" > "$WORK/deepcam.txt"
expect_in "hpc 3.0.0: hpc_3.0.0/common.yaml hpc_3.0.0/closed_common.yaml hpc_3.0.0/closed_deepcam.yaml" \
  "$WORK/deepcam.txt"
expect_in "hpc 2.0.0" "$WORK/deepcam.txt"
grep -v submission_benchmark "$EXAMPLES/unet3d_open.log" > "$WORK/no_benchmark.log"
expect_exit 1 "$WORK/nb.txt" "$CHECK" "$WORK/no_benchmark.log"
expect_in "not an MLPerf result log" "$WORK/nb.txt"
SEGBENCH_MLPERF_VENV=$WORK/none expect_exit 2 "$WORK/none.txt" "$CHECK" "$EXAMPLES/unet3d_open.log"
expect_in "no mlperf-logging" "$WORK/none.txt"
echo "official checker wrapper OK"
