#!/usr/bin/env bash
# A full disk or a failing write in every writer of the data tools and the drivers: the exit code
# is 2 (never a signal), the message names the file, no temporary file (.<name>.tmp-*) is left,
# and an earlier file of that name is intact. Failures come from SEGBENCH_FAULT_INJECT
# (write_fail:<path text>, disk_budget:<bytes>), from /dev/full, and from a small tmpfs where
# this test may mount one. Also: two cam5-stats runs give byte-identical stats.h5.
# Usage: disk_full.sh SEGBENCH_DATA DEEPCAM_CLIMATE
set -euo pipefail
DATA_TOOL=$1 DRIVER=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-diskfull.XXXXXX")
MOUNTED=""
cleanup() {
  if [ -n "$MOUNTED" ]; then umount "$MOUNTED" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# fails_cleanly FAULT NAMED DIR OUT command...: with SEGBENCH_FAULT_INJECT=FAULT (empty: none)
# the command exits 2, its output names NAMED and says "No space left on device", and no
# temporary file is left anywhere under DIR.
fails_cleanly() {
  local fault=$1 named=$2 dir=$3 out=$4 status=0
  shift 4
  SEGBENCH_FAULT_INJECT=$fault "$@" > "$out" 2>&1 || status=$?
  [ $status -eq 2 ] || { cat "$out" >&2; fail "exit $status, expected 2 ($fault): $*"; }
  expect_in "$named" "$out"
  expect_in "No space left on device" "$out"
  local left
  left=$(find "$dir" -name '.*.tmp-*')
  [ -z "$left" ] || fail "temporary files left behind ($fault): $left"
}
# unchanged SUMFILE: every file listed in an md5sum file still has its bytes.
unchanged() { md5sum --quiet -c "$1" || fail "an earlier file changed: see $1"; }

echo "== kits19-synth, kits19-preprocess (.npy, segbench_manifest.json)"
fails_cleanly disk_budget:100000 "$WORK/raw/case_0000" "$WORK/raw" "$WORK/synth.txt" \
  "$DATA_TOOL" kits19-synth --out "$WORK/raw" --cases 3 --seed 3 --shape 32 64 64 \
  --spacing 3.2 1.2 1.2
expect_in "nifticlib wrote an incomplete volume" "$WORK/synth.txt"
"$DATA_TOOL" kits19-synth --out "$WORK/raw" --cases 3 --seed 3 --shape 32 64 64 \
  --spacing 3.2 1.2 1.2 > /dev/null
PRE="$WORK/pre"
"$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" --results_dir "$PRE" --min_shape 64 -j 2 \
  > /dev/null
(cd "$PRE" && md5sum ./case_*) > "$WORK/pre.md5"
sed -i "s| \./| $PRE/|" "$WORK/pre.md5"
# Each rerun finds the settings file gone, so it redoes every case (a rerun with the same
# settings would keep the finished ones and write nothing); the manifest is removed at the start
# and never written by a failed run: an incomplete set carries none.
for fault in write_fail:case_00001_x.npy write_fail:case_00002_y.npy disk_budget:1500000 \
  write_fail:segbench_manifest.json; do
  rm -f "$PRE/segbench_preprocess_settings.json"
  named="$PRE/case_0000"
  [ "$fault" != write_fail:segbench_manifest.json ] || named="$PRE/segbench_manifest.json"
  fails_cleanly "$fault" "$named" "$PRE" "$WORK/pre.txt" \
    "$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" --results_dir "$PRE" --min_shape 64 -j 2
  unchanged "$WORK/pre.md5"
  [ ! -e "$PRE/segbench_manifest.json" ] || fail "a manifest beside a failed run ($fault)"
done
# A fresh output directory whose write fails holds no file under a final name of that case.
fails_cleanly write_fail:case_00001_y.npy "$WORK/fresh/case_00001_y.npy" "$WORK/raw" \
  "$WORK/fresh.txt" \
  "$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" --results_dir "$WORK/fresh" \
  --min_shape 64 -j 1
[ ! -e "$WORK/fresh/case_00001_y.npy" ] || fail "a failed case_00001_y.npy under its final name"
[ ! -e "$WORK/fresh/segbench_manifest.json" ] || fail "a manifest after a failed preprocessing"

echo "== brats-synth, brats-preprocess (NIfTI, dataset.json, .npy, config.json)"
fails_cleanly disk_budget:60000 "$WORK/brats/Task01_BrainTumour/" "$WORK/brats" \
  "$WORK/bsynth.txt" \
  "$DATA_TOOL" brats-synth --out "$WORK/brats" --cases 2 --shape 48 48 24 --seed 3
fails_cleanly write_fail:dataset.json "$WORK/brats/Task01_BrainTumour/dataset.json" \
  "$WORK/brats" "$WORK/bsynth.txt" \
  "$DATA_TOOL" brats-synth --out "$WORK/brats" --cases 2 --shape 48 48 24 --seed 3
"$DATA_TOOL" brats-synth --out "$WORK/brats" --cases 2 --shape 48 48 24 --seed 3 > /dev/null
BPRE="$WORK/bpre"
"$DATA_TOOL" brats-preprocess --data_dir "$WORK/brats/Task01_BrainTumour" --results_dir "$BPRE" \
  --patch_size 48 48 -j 1 > /dev/null
(cd "$BPRE" && md5sum ./BRATS_*) > "$WORK/bpre.md5"
sed -i "s| \./| $BPRE/|" "$WORK/bpre.md5"
# As above: the settings file gone, so every case is redone; config.json (the mark of a whole
# set) is removed at the start and not written by a failed run.
for fault in write_fail:BRATS_002_x.npy write_fail:config.json disk_budget:30000; do
  rm -f "$BPRE/segbench_preprocess_settings.json"
  fails_cleanly "$fault" "$BPRE/" "$BPRE" "$WORK/bpre.txt" \
    "$DATA_TOOL" brats-preprocess --data_dir "$WORK/brats/Task01_BrainTumour" \
    --results_dir "$BPRE" --patch_size 48 48 -j 1
  unchanged "$WORK/bpre.md5"
  [ ! -e "$BPRE/config.json" ] || fail "config.json beside a failed run ($fault)"
done

echo "== cam5-synth, cam5-split --copy, cam5-stats (stats.h5), cam5-convert (.npy)"
fails_cleanly disk_budget:1000000 "$WORK/flat/all/data-" "$WORK/flat" "$WORK/csynth.txt" \
  "$DATA_TOOL" cam5-synth --out "$WORK/flat" --train 10 --validation 0 --height 96 --width 144 \
  --seed 3 --flat
"$DATA_TOOL" cam5-synth --out "$WORK/flat" --train 10 --validation 0 --height 96 --width 144 \
  --seed 3 --flat > /dev/null
fails_cleanly disk_budget:1000000 "$WORK/split/" "$WORK/split" "$WORK/split.txt" \
  "$DATA_TOOL" cam5-split --input "$WORK/flat/all" --out "$WORK/split" --copy -j 2
rm -rf "$WORK/split"
"$DATA_TOOL" cam5-split --input "$WORK/flat/all" --out "$WORK/split" --copy -j 2 > /dev/null
CAM5="$WORK/split"
"$DATA_TOOL" cam5-stats --data_dir "$CAM5" > /dev/null
cp "$CAM5/stats.h5" "$WORK/stats-first.h5"
sleep 1.1  # HDF5 object timestamps have a resolution of one second
"$DATA_TOOL" cam5-stats --data_dir "$CAM5" > /dev/null
cmp "$WORK/stats-first.h5" "$CAM5/stats.h5" || fail "two cam5-stats runs gave different stats.h5"
md5sum "$CAM5/stats.h5" > "$WORK/stats.md5"
for fault in write_fail:stats.h5 disk_budget:1000; do
  fails_cleanly "$fault" "$CAM5/stats.h5" "$CAM5" "$WORK/stats.txt" \
    "$DATA_TOOL" cam5-stats --data_dir "$CAM5"
  unchanged "$WORK/stats.md5"
done
"$DATA_TOOL" cam5-convert --data_dir "$CAM5" --out "$WORK/npy" -j 2 > /dev/null
find "$WORK/npy" -type f -exec md5sum {} + > "$WORK/npy.md5"
# A rerun skips the finished samples and copies stats.h5 again.
fails_cleanly write_fail:npy/stats.h5 "$WORK/npy/stats.h5" "$WORK/npy" "$WORK/convert.txt" \
  "$DATA_TOOL" cam5-convert --data_dir "$CAM5" --out "$WORK/npy" -j 2
unchanged "$WORK/npy.md5"
for fault in write_fail:label- disk_budget:400000; do
  rm -rf "$WORK/npy2"
  fails_cleanly "$fault" "$WORK/npy2/" "$WORK/npy2" "$WORK/convert.txt" \
    "$DATA_TOOL" cam5-convert --data_dir "$CAM5" --out "$WORK/npy2" -j 2
  # Whatever it finished is whole: the rerun completes the rest to the same bytes.
  "$DATA_TOOL" cam5-convert --data_dir "$CAM5" --out "$WORK/npy2" -j 2 > /dev/null
  (cd "$WORK/npy2" && find . -type f -exec md5sum {} + | sort -k2) > "$WORK/npy2.md5"
  (cd "$WORK/npy" && find . -type f -exec md5sum {} + | sort -k2) > "$WORK/npy1.md5"
  cmp "$WORK/npy1.md5" "$WORK/npy2.md5" || fail "a conversion after a failed one differs ($fault)"
done

echo "== the MLPerf result log and checkpoints of a driver"
train=("$DRIVER" --preset smoke --seed 3 --data_dir "$CAM5" --max_epochs 2 --threads 1)
# /dev/full under the log's name.
mkdir -p "$WORK/full/logs"
ln -s /dev/full "$WORK/full/logs/deepcam.log"
fails_cleanly "" "MLLOG file $WORK/full/logs/deepcam.log" "$WORK/full" "$WORK/full.txt" \
  "${train[@]}" --output_dir "$WORK/full"
# A disk that fills at ever later points: the log, then the checkpoint. The log never holds a
# torn line and is never written past the failure; a checkpoint is either whole or absent.
for budget in 400 2500 6000 100000 2000000; do
  out="$WORK/budget$budget"
  fails_cleanly "disk_budget:$budget" "$out/" "$out" "$out.txt" \
    "${train[@]}" --output_dir "$out" --save_ckpt_path "$out/ckpt"
  log="$out/logs/deepcam.log"
  if grep -q "MLLOG file $log" "$out.txt"; then
    [ "$(grep -vc '^:::MLLOG {.*}$' "$log")" -eq 0 ] || fail "a torn line in $log"
    [ ! -s "$log" ] || [ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ] ||
      fail "$log does not end with a whole line"
    [ "$(wc -c < "$log")" -le "$budget" ] || fail "$log holds more than the budget"
  else
    expect_in "checkpoint $out/ckpt/checkpoint-" "$out.txt"
    expect_in "the previous checkpoint is untouched" "$out.txt"
    # The checkpoint is named once, at the front, not again inside the reason.
    ! grep -q "not written ($out/ckpt/checkpoint-" "$out.txt" ||
      { cat "$out.txt" >&2; fail "budget $budget: the checkpoint is named twice"; }
  fi
  if ls "$out"/ckpt/*.sbck > /dev/null 2>&1; then
    for c in "$out"/ckpt/*.sbck; do
      "$DATA_TOOL" checkpoint-info "$c" > /dev/null || fail "$c is not a valid checkpoint"
    done
  fi
done
grep -q "MLLOG file" "$WORK/budget400.txt" || fail "budget 400 should stop at the log"
grep -q "checkpoint " "$WORK/budget2000000.txt" || fail "budget 2000000 should stop at a checkpoint"

echo "== a real full file system (tmpfs), where this test may mount one"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$WORK/tmpfs" &&
  mount -t tmpfs -o size=2m tmpfs "$WORK/tmpfs" 2> /dev/null; then
  MOUNTED="$WORK/tmpfs"
  # 3 cases of 1.3 MB of .npy each do not fit in 2 MB.
  fails_cleanly "" "$WORK/tmpfs/pre/case_0000" "$WORK/tmpfs" "$WORK/tmpfs.txt" \
    "$DATA_TOOL" kits19-preprocess --data_dir "$WORK/raw" --results_dir "$WORK/tmpfs/pre" \
    --min_shape 64 -j 1
  umount "$WORK/tmpfs"
  # 6 MB: the start-up check passes (it counts about 4.9 MB for a checkpoint), the first
  # checkpoint (3.9 MB) fits, the second does not: the run stops naming it, the first stays
  # valid.
  mount -t tmpfs -o size=6m tmpfs "$WORK/tmpfs"
  fails_cleanly "" "$WORK/tmpfs/run/ckpt/checkpoint-" "$WORK/tmpfs" "$WORK/tmpfs-ck.txt" \
    "${train[@]}" --output_dir "$WORK/tmpfs/run" --save_ckpt_path "$WORK/tmpfs/run/ckpt" \
    --checkpoint_every 1
  expect_in "the previous checkpoint is untouched" "$WORK/tmpfs-ck.txt"
  [ "$(ls "$WORK"/tmpfs/run/ckpt/*.sbck | wc -l)" -eq 1 ] || fail "expected one checkpoint"
  "$DATA_TOOL" checkpoint-info "$WORK"/tmpfs/run/ckpt/*.sbck > /dev/null ||
    fail "the first checkpoint on the full tmpfs is not valid"
  umount "$WORK/tmpfs"
  MOUNTED=""
  echo "   tmpfs of 2 and 6 MB: kits19-preprocess and a driver's second checkpoint fail cleanly"
else
  echo "   (no tmpfs here: mount -t tmpfs is not permitted; the injected cases above stand)"
fi
echo "disk_full: OK"
