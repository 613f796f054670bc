#!/usr/bin/env bash
# segbench-data at --jobs 1 vs --jobs N (default: every core), and cam5-stats / cam5-convert
# under mpirun at 1, 2 and 4 ranks: wall time, peak RSS (/usr/bin/time -v: the largest process;
# for mpirun the launcher's children are not summed) and the speed-up against one job measured
# in the same run. Every parallel output is compared with the one-job output (cmp / diff -r,
# stats by their printed float32 values) and a difference fails the bench.
#   bench/data_tools_bench.sh build/data-tools/segbench-data [WORK_DIR]
# Sizes (environment): CAM5_H CAM5_W CAM5_N (default 768 1152 8: real-size samples),
# KITS_SHAPE (default "128 256 256" = D H W at 2.5 x 0.8 x 0.8 mm), KITS_N (4),
# BRATS_SHAPE (default "240 240 155", the real shape), BRATS_N (4), JOBS (default nproc),
# RANKS (default "1 2 4").
set -euo pipefail
TOOL=$(realpath "$1")
WORK=${2:-$(mktemp -d)}
mkdir -p "$WORK"
JOBS=${JOBS:-$(nproc)}
CAM5_H=${CAM5_H:-768} CAM5_W=${CAM5_W:-1152} CAM5_N=${CAM5_N:-8}
KITS_SHAPE=${KITS_SHAPE:-"128 256 256"} KITS_N=${KITS_N:-4}
BRATS_SHAPE=${BRATS_SHAPE:-"240 240 155"} BRATS_N=${BRATS_N:-4}
RANKS=${RANKS:-"1 2 4"}
fail() { echo "FAIL: $*" >&2; exit 1; }

# measure NAME CMD...: runs CMD, prints "NAME  wall s  peak RSS MB", sets LAST_S.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$WORK/$name.out" 2>&1 ||
    { cat "$WORK/$name.out"; fail "$name"; }
  read -r LAST_S rss_kb < "$WORK/time.txt"
  printf '%-34s %8.2f s  %7.0f MB peak RSS\n' "$name" "$LAST_S" "$((rss_kb / 1024))"
  grep -h "job(s).*estimate" "$WORK/$name.out" | sed 's/^/    /' || true
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "  speed-up %.2fx\n", a / b }'; }

echo "segbench-data bench: $(nproc) cores, JOBS=$JOBS, work dir $WORK"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "--- data generation (not timed against anything)"
measure cam5-synth "$TOOL" cam5-synth --out "$WORK/cam5" --train "$CAM5_N" --validation 2 \
  --height "$CAM5_H" --width "$CAM5_W"
# shellcheck disable=SC2086
measure kits19-synth "$TOOL" kits19-synth --out "$WORK/kits" --cases "$KITS_N" --shape $KITS_SHAPE \
  --spacing 2.5 0.8 0.8
# shellcheck disable=SC2086
measure brats-synth "$TOOL" brats-synth --out "$WORK/brats" --cases "$BRATS_N" --shape $BRATS_SHAPE
du -sh "$WORK/cam5" "$WORK/kits" "$WORK/brats"

echo "--- cam5-stats"
measure cam5-stats-j1 "$TOOL" cam5-stats --data_dir "$WORK/cam5" --out "$WORK/s1.h5" --jobs 1
t1=$LAST_S
measure "cam5-stats-j$JOBS" "$TOOL" cam5-stats --data_dir "$WORK/cam5" --out "$WORK/sN.h5" --jobs "$JOBS"
ratio "$t1" "$LAST_S"
diff <(grep '^  ' "$WORK/cam5-stats-j1.out") <(grep '^  ' "$WORK/cam5-stats-j$JOBS.out") ||
  fail "stats differ"
cp "$WORK/s1.h5" "$WORK/cam5/stats.h5"

echo "--- cam5-convert"
measure cam5-convert-j1 "$TOOL" cam5-convert --data_dir "$WORK/cam5" --out "$WORK/c1" --jobs 1
t1=$LAST_S
measure "cam5-convert-j$JOBS" "$TOOL" cam5-convert --data_dir "$WORK/cam5" --out "$WORK/cN" --jobs "$JOBS"
ratio "$t1" "$LAST_S"
diff -r "$WORK/c1" "$WORK/cN" > /dev/null || fail "converted files differ"
measure cam5-convert-resume "$TOOL" cam5-convert --data_dir "$WORK/cam5" --out "$WORK/cN" --jobs "$JOBS"

echo "--- cam5-split --copy"
mkdir -p "$WORK/flat" && ln -sf "$WORK"/cam5/train/*.h5 "$WORK/flat/"
measure cam5-split-j1 "$TOOL" cam5-split --input "$WORK/flat" --out "$WORK/p1" --copy --jobs 1
t1=$LAST_S
measure "cam5-split-j$JOBS" "$TOOL" cam5-split --input "$WORK/flat" --out "$WORK/pN" --copy --jobs "$JOBS"
ratio "$t1" "$LAST_S"
diff -r "$WORK/p1" "$WORK/pN" > /dev/null || fail "split copies differ"

echo "--- cam5-verify (full / --fast)"
measure cam5-verify-j1 "$TOOL" cam5-verify --data_dir "$WORK/cam5" --subset --jobs 1
t1=$LAST_S
measure "cam5-verify-j$JOBS" "$TOOL" cam5-verify --data_dir "$WORK/cam5" --subset --jobs "$JOBS"
ratio "$t1" "$LAST_S"
measure "cam5-verify-fast-j$JOBS" "$TOOL" cam5-verify --data_dir "$WORK/cam5" --subset --fast --jobs "$JOBS"

echo "--- kits19-preprocess (OMP_NUM_THREADS=1: jobs are the only parallelism)"
measure kits19-preprocess-j1 env OMP_NUM_THREADS=1 "$TOOL" kits19-preprocess \
  --data_dir "$WORK/kits" --results_dir "$WORK/k1" --jobs 1
t1=$LAST_S
measure "kits19-preprocess-j$JOBS" env OMP_NUM_THREADS=1 "$TOOL" kits19-preprocess \
  --data_dir "$WORK/kits" --results_dir "$WORK/kN" --jobs "$JOBS"
ratio "$t1" "$LAST_S"
diff -r "$WORK/k1" "$WORK/kN" > /dev/null || fail "kits19 outputs differ"
measure kits19-preprocess-j1-omp env -u OMP_NUM_THREADS "$TOOL" kits19-preprocess \
  --data_dir "$WORK/kits" --results_dir "$WORK/k1omp" --jobs 1
echo "--- kits19-verify (MD5 of every file; --contents; --raw_dir)"
measure kits19-verify-j1 "$TOOL" kits19-verify --results_dir "$WORK/k1" --contents --jobs 1
t1=$LAST_S
measure "kits19-verify-j$JOBS" "$TOOL" kits19-verify --results_dir "$WORK/k1" --contents --jobs "$JOBS"
ratio "$t1" "$LAST_S"
measure "kits19-verify-raw-j$JOBS" "$TOOL" kits19-verify --raw_dir "$WORK/kits" --jobs "$JOBS"

echo "--- brats-preprocess"
measure brats-preprocess-j1 "$TOOL" brats-preprocess --data_dir "$WORK/brats/Task01_BrainTumour" \
  --results_dir "$WORK/b1" --jobs 1
t1=$LAST_S
measure "brats-preprocess-j$JOBS" "$TOOL" brats-preprocess \
  --data_dir "$WORK/brats/Task01_BrainTumour" --results_dir "$WORK/bN" --jobs "$JOBS"
ratio "$t1" "$LAST_S"
diff -r "$WORK/b1" "$WORK/bN" > /dev/null || fail "brats outputs differ"
measure brats-verify-j1 "$TOOL" brats-verify --data_dir "$WORK/brats/Task01_BrainTumour" --jobs 1
t1=$LAST_S
measure "brats-verify-j$JOBS" "$TOOL" brats-verify --data_dir "$WORK/brats/Task01_BrainTumour" \
  --jobs "$JOBS"
ratio "$t1" "$LAST_S"

echo "--- MPI: cam5-stats / cam5-convert at $RANKS rank(s), one job per rank"
# A script, not a function: /usr/bin/time runs it.
cat > "$WORK/mpi" <<'MPI_EOF'
#!/usr/bin/env bash
np=$1; shift
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
  exec mpirun --oversubscribe --allow-run-as-root -np "$np" --mca btl self,vader \
  --mca oob_tcp_if_include lo --bind-to none "$@"
MPI_EOF
chmod +x "$WORK/mpi"
base_stats="" base_convert=""
for np in $RANKS; do
  measure "mpi-cam5-stats-np$np" "$WORK/mpi" "$np" "$TOOL" cam5-stats --data_dir "$WORK/cam5" \
    --out "$WORK/m$np.h5" --jobs 1
  base_stats=${base_stats:-$LAST_S}
  ratio "$base_stats" "$LAST_S"
  diff <(grep '^  ' "$WORK/cam5-stats-j1.out") <(grep '^  ' "$WORK/mpi-cam5-stats-np$np.out") ||
    fail "stats differ at $np ranks"
  rm -rf "$WORK/mc$np"
  measure "mpi-cam5-convert-np$np" "$WORK/mpi" "$np" "$TOOL" cam5-convert --data_dir "$WORK/cam5" \
    --out "$WORK/mc$np" --jobs 1
  base_convert=${base_convert:-$LAST_S}
  ratio "$base_convert" "$LAST_S"
  diff -r "$WORK/c1" "$WORK/mc$np" > /dev/null || fail "converted files differ at $np ranks"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "every parallel output identical to the one-job output"
