#!/usr/bin/env bash
# The light tier's data tool: segbench-data needs no LibTorch (its ELF NEEDED list names none),
# and a KiTS19 preprocessing killed with SIGKILL part-way and run again into the same directory
# keeps the finished cases, redoes the rest and ends with the same bytes (files and manifest) as
# one uninterrupted run.
# Usage: data_tools_light.sh SEGBENCH_DATA
set -euo pipefail
DATA_TOOL=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-light.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# kill_once_seen PATTERN OUT COMMAND...: runs COMMAND with its output in OUT and kills it with
# SIGKILL as soon as OUT shows PATTERN (fails when it ends first or after 120 s).
kill_once_seen() {
  local pattern=$1 out=$2 pid waited=0
  shift 2
  "$@" > "$out" 2>&1 &
  pid=$!
  until grep -qs -- "$pattern" "$out"; do
    kill -0 "$pid" 2> /dev/null || { cat "$out"; fail "the run ended before '$pattern'"; }
    sleep 0.05
    waited=$((waited + 1))
    [ $waited -lt 2400 ] || { kill -9 "$pid"; fail "no '$pattern' within 120 s"; }
  done
  kill -9 "$pid"
  wait "$pid" 2> /dev/null || true
}

echo "== segbench-data links no LibTorch"
needed=$(readelf -d "$DATA_TOOL" | grep NEEDED)
echo "$needed" | grep -Eq 'libtorch|libc10' && fail "segbench-data needs LibTorch: $needed"
echo "$needed" | grep -q 'libc.so' || fail "readelf listed no NEEDED entries: $needed"

echo "== kits19-preprocess: killed part-way, run again, equal to one run"
"$DATA_TOOL" kits19-synth --out "$WORK/raw" --cases 8 --seed 5 --shape 24 96 96 \
  --spacing 3.2 1.0 1.0 > /dev/null
"$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" --results_dir "$WORK/once" --jobs 1 \
  > "$WORK/once.txt"
# three cases written, five to go
kill_once_seen "case_00002:" "$WORK/first.txt" "$DATA_TOOL" kits19-preprocess \
  --data_dir "$WORK/raw" --results_dir "$WORK/twice" --jobs 1
[ ! -e "$WORK/twice/segbench_manifest.json" ] || fail "an interrupted run left a manifest"
stale=$(find "$WORK/twice" -name '.*.tmp-*' | wc -l)
expect_exit 0 "$WORK/second.txt" "$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" \
  --results_dir "$WORK/twice" --jobs 2
expect_in "finished by an earlier run" "$WORK/second.txt"
expect_in "cases kept from an earlier run" "$WORK/second.txt"
[ -z "$(find "$WORK/twice" -name '.*.tmp-*')" ] || fail "temporary files remain after the rerun"
[ "$stale" -eq 0 ] || expect_in "removed $stale temporary file(s) of an interrupted run" "$WORK/second.txt"
diff -r "$WORK/once" "$WORK/twice" || fail "the resumed preprocessing differs from one run"
kept=$(grep -c "finished by an earlier run" "$WORK/second.txt")
echo "resumed run kept $kept of 8 cases; files and manifest equal to one run"

echo "== brats-preprocess: killed part-way, run again, equal to one run"
"$DATA_TOOL" brats-synth --out "$WORK/msd" --cases 6 --seed 5 --shape 120 120 80 > /dev/null
TASK="$WORK/msd/Task01_BrainTumour"
"$DATA_TOOL" brats-preprocess --data_dir "$TASK" --results_dir "$WORK/b_once" --jobs 1 \
  --patch_size 64 64 > /dev/null
kill_once_seen "\[2/6\]" "$WORK/b_first.txt" "$DATA_TOOL" brats-preprocess \
  --data_dir "$TASK" --results_dir "$WORK/b_twice" --jobs 1 --patch_size 64 64
[ ! -e "$WORK/b_twice/config.json" ] || fail "an interrupted brats-preprocess left config.json"
expect_exit 0 "$WORK/b_second.txt" "$DATA_TOOL" brats-preprocess --data_dir "$TASK" \
  --results_dir "$WORK/b_twice" --jobs 2 --patch_size 64 64
expect_in "finished by an earlier run" "$WORK/b_second.txt"
[ -z "$(find "$WORK/b_twice" -name '.*.tmp-*')" ] || fail "temporary files remain after the rerun"
diff -r "$WORK/b_once" "$WORK/b_twice" || fail "the resumed brats-preprocess differs from one run"
echo "resumed brats-preprocess kept $(grep -c "finished by an earlier run" "$WORK/b_second.txt") of 6 cases"

echo "== other settings: nothing kept"
expect_exit 0 "$WORK/third.txt" "$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" \
  --results_dir "$WORK/twice" --jobs 2 --min_shape 100
grep -q "finished by an earlier run" "$WORK/third.txt" && fail "kept files of other settings"
echo "ok"
