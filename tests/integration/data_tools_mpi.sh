#!/usr/bin/env bash
# cam5-stats and cam5-convert under mpirun at 1, 2 and 4 ranks (and 3 jobs in one process):
# the same statistics (every stored value, printed to 9 significant digits: float32 exactly)
# and byte-identical converted files. Also: an interrupted conversion resumed gives the same
# files, and a rank's bad file fails every rank with exit 2, naming the rank and the file.
# Usage: data_tools_mpi.sh SEGBENCH_DATA with-mpi|without-mpi
set -euo pipefail
DATA_TOOL=$1
MODE=${2:-with-mpi}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$DATA_TOOL" cam5-synth --out "$WORK/in" --train 9 --validation 3 --height 16 --width 24 \
  --event_scale 4 > /dev/null
"$DATA_TOOL" cam5-stats --data_dir "$WORK/in" --out "$WORK/in/stats.h5" --jobs 1 > "$WORK/s1.txt"
grep -q "wrote .* (9 files, 16 channels, 1 rank(s))" "$WORK/s1.txt" || { cat "$WORK/s1.txt"; fail "stats"; }
grep '^  ' "$WORK/s1.txt" > "$WORK/values1.txt"
[ "$(wc -l < "$WORK/values1.txt")" -eq 16 ] || fail "expected 16 channel lines"
"$DATA_TOOL" cam5-convert --data_dir "$WORK/in" --out "$WORK/c1" --jobs 1 > /dev/null

echo "== 3 jobs in one process"
"$DATA_TOOL" cam5-stats --data_dir "$WORK/in" --out "$WORK/j3.h5" --jobs 3 > "$WORK/j3.txt"
diff <(grep '^  ' "$WORK/j3.txt") "$WORK/values1.txt" || fail "stats differ with 3 jobs"
"$DATA_TOOL" cam5-convert --data_dir "$WORK/in" --out "$WORK/j3" --jobs 3 > /dev/null
diff -r "$WORK/c1" "$WORK/j3" || fail "converted files differ with 3 jobs"

echo "== resumed: an interrupted conversion (files removed, a stale temp file) finishes the same"
cp -r "$WORK/c1" "$WORK/resume"
rm "$WORK/resume/train/"data-2000-01-01-1[25]-1.npy "$WORK/resume/validation/"label-*.npy
head -c 100 "$WORK/c1/train/data-2000-01-01-00-1.npy" > "$WORK/resume/train/.data-2000-01-01-06-1.tmp-1-1.npy"
printf 'x' | dd of="$WORK/resume/train/data-2000-01-01-03-1.npy" bs=1 count=1 seek=0 conv=notrunc status=none
"$DATA_TOOL" cam5-convert --data_dir "$WORK/in" --out "$WORK/resume" --jobs 2 > "$WORK/resume.txt"
grep -q "skipped 6 finished sample(s)" "$WORK/resume.txt" || { cat "$WORK/resume.txt"; fail "expected 6 skipped samples"; }
rm -f "$WORK/resume/train/".*.tmp-*
diff -r "$WORK/c1" "$WORK/resume" || fail "resumed conversion differs"

if [ "$MODE" != with-mpi ]; then echo "PASS (no MPI in this build)"; exit 0; fi
run_mpi() {
  local np=$1; shift
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
    timeout -k 3 120 mpirun --oversubscribe --allow-run-as-root -np "$np" \
    --mca btl self,vader --mca oob_tcp_if_include lo --bind-to none "$@"
}
for np in 1 2 4; do
  echo "== $np rank(s)"
  run_mpi "$np" "$DATA_TOOL" cam5-stats --data_dir "$WORK/in" --out "$WORK/stats$np.h5" --jobs 1 \
    > "$WORK/m$np.txt" 2>&1 || { cat "$WORK/m$np.txt"; fail "mpirun cam5-stats -np $np"; }
  grep -q "(9 files, 16 channels, $np rank(s))" "$WORK/m$np.txt" || { cat "$WORK/m$np.txt"; fail "rank count"; }
  diff <(grep '^  ' "$WORK/m$np.txt") "$WORK/values1.txt" || fail "stats differ at $np ranks"
  run_mpi "$np" "$DATA_TOOL" cam5-convert --data_dir "$WORK/in" --out "$WORK/m$np" --jobs 1 \
    > "$WORK/mc$np.txt" 2>&1 || { cat "$WORK/mc$np.txt"; fail "mpirun cam5-convert -np $np"; }
  diff -r "$WORK/c1" "$WORK/m$np" || fail "converted files differ at $np ranks"
done

echo "== a bad file on one rank: every rank exits 2, the failing rank is named"
printf 'not hdf5' > "$WORK/in/train/data-2000-01-02-00-1.h5"  # the 9th file: index 8, rank 0 of 2
printf 'not hdf5' > "$WORK/in/train/data-2000-01-01-03-1.h5"  # index 1: rank 1 of 2
set +e
run_mpi 2 "$DATA_TOOL" cam5-stats --data_dir "$WORK/in" --out "$WORK/bad.h5" > "$WORK/bad.txt" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || { cat "$WORK/bad.txt"; fail "expected a failure"; }
grep -q "rank 1/2: .*data-2000-01-01-03-1.h5" "$WORK/bad.txt" || { cat "$WORK/bad.txt"; fail "rank 1 not named"; }
grep -q "rank 0/2: .*data-2000-01-02-00-1.h5" "$WORK/bad.txt" || { cat "$WORK/bad.txt"; fail "rank 0 not named"; }
[ ! -e "$WORK/bad.h5" ] || fail "stats written despite an error"
echo "PASS"
