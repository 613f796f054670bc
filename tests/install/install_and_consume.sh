#!/usr/bin/env bash
# segbench as an outside project sees it:
#   (a) install the already-built library into a temporary root (DESTDIR; no rebuild);
#   (b) pkg-config --cflags --libs segbench points into that root; the headers are there;
#   (c) configure and build examples/external against the installed copy (pkg-config);
#   (d) run it on 1 process and on 2 Gloo ranks: every run reaches the target and exits 0;
#   (e) build examples/external again with segbench as a Meson subproject (a symlink to the
#       source tree; compiles the whole library) and run it on 1 process.
# Usage: install_and_consume.sh SOURCE_ROOT BUILD_ROOT [MESON [PKG_CONFIG]]
# Env: JOBS (ninja jobs, default nproc), KEEP_TMP=1 (keep the temporary tree even on success).
set -euo pipefail
SRC=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
MESON=${3:-meson}
PKG_CONFIG=${4:-pkg-config}
JOBS=${JOBS:-$(nproc)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/segbench-install.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$rc" -eq 0 ] && [ "${KEEP_TMP:-0}" != 1 ]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
show() { for f in "$@"; do echo "--- $f" >&2; tail -n 40 "$f" >&2; done; }
step() { echo; echo "=== $*"; }
since() { awk -v s="$1" -v e="$(date +%s%N)" 'BEGIN { printf "%6.1f s", (e - s) / 1e9 }'; }
# timed LABEL LOG command...: runs the command with its output in LOG, prints the time it took.
timed() {
  local label=$1 log=$2 start status=0
  shift 2
  start=$(date +%s%N)
  "$@" > "$log" 2>&1 || status=$?
  printf '    %-34s %s\n' "$label" "$(since "$start")"
  [ "$status" -eq 0 ] || { show "$log"; fail "$label: exit $status"; }
}
# The temporary paths are relativised for ccache, so a rerun hits the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TMP}
unset RANK WORLD_SIZE LOCAL_RANK MASTER_PORT PKG_CONFIG_SYSROOT_DIR
echo "segbench source $SRC, build $BUILD, temporary tree $TMP"

step "(a) install into a temporary root"
ROOT=$TMP/root
PREFIX=$(sed -n 's/^prefix=//p' "$BUILD/meson-private/segbench.pc")
LIBDIR=$("$PKG_CONFIG" --variable=libdir "$BUILD/meson-private/segbench.pc")
timed "meson install (DESTDIR)" "$TMP/install.log" \
  env DESTDIR="$ROOT" "$MESON" install -C "$BUILD" --no-rebuild --quiet
PC_DIR=$ROOT$LIBDIR/pkgconfig
[ -f "$PC_DIR/segbench.pc" ] || fail "no segbench.pc in $PC_DIR"
echo "    prefix $PREFIX, libdir $LIBDIR"

step "(b) pkg-config and the installed headers"
# The .pc files name the configured prefix; the sysroot prefixes their -I/-L with the root.
export PKG_CONFIG_PATH=$PC_DIR PKG_CONFIG_SYSROOT_DIR=$ROOT
FLAGS=$("$PKG_CONFIG" --cflags --libs segbench)
echo "    pkg-config --cflags --libs segbench: $FLAGS"
[[ " $FLAGS " == *" -I$ROOT$PREFIX/include "* ]] || fail "no -I into $ROOT$PREFIX/include"
[[ " $FLAGS " == *" -L$ROOT$LIBDIR "* ]] || fail "no -L into $ROOT$LIBDIR"
[[ " $FLAGS " == *" -lsegbench "* ]] || fail "no -lsegbench"
"$PKG_CONFIG" --exists segbench-recipes || fail "segbench-recipes.pc unusable"
for h in version.hpp train/train.hpp concepts/dataset.hpp concepts/quality_target.hpp \
         run/data_parallel_run.hpp dist/any_context.hpp log/mllog_rules.hpp; do
  [ -f "$ROOT$PREFIX/include/segbench/$h" ] || fail "segbench/$h not installed"
done
[ ! -e "$ROOT$PREFIX/include/segbench/version.hpp.in" ] || fail "version.hpp.in installed"
grep -q "SEGBENCH_VERSION \"$("$PKG_CONFIG" --modversion segbench)\"" \
  "$ROOT$PREFIX/include/segbench/version.hpp" || fail "version.hpp and segbench.pc disagree"
ls "$ROOT$LIBDIR"/libsegbench.so* > /dev/null || fail "libsegbench.so not installed"
echo "    headers, version.hpp and libraries installed"
# pkg-config's flags alone must compile and link a use of SEGBENCH_CHECK (fmt::format: libfmt).
cat > "$TMP/check.cpp" << 'EOF'
#include <segbench/error.hpp>
#include <segbench/version.hpp>
int main(int argc, char**) {
  SEGBENCH_CHECK(argc < 9, segbench::ConfigError, "segbench {}, argc {}", SEGBENCH_VERSION, argc);
}
EOF
# shellcheck disable=SC2046  # word splitting of the flags is wanted
timed "c++ with pkg-config flags only" "$TMP/check.log" \
  "${CXX:-c++}" -std=c++20 "$TMP/check.cpp" -o "$TMP/check" $("$PKG_CONFIG" --cflags --libs segbench)

step "(c) build examples/external against the installed segbench"
EXT_BUILD=$TMP/external-installed
timed "meson setup" "$TMP/ext-setup.log" \
  "$MESON" setup "$EXT_BUILD" "$SRC/examples/external" --wrap-mode=nofallback
timed "ninja (shapes.cpp)" "$TMP/ext-build.log" ninja -C "$EXT_BUILD" -j"$JOBS"
export LD_LIBRARY_PATH=$ROOT$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
LINKED=$(ldd "$EXT_BUILD/shapes" | awk '/libsegbench/ {print $3}')
[[ "$LINKED" == "$ROOT$LIBDIR/"* ]] || fail "shapes loads libsegbench from '$LINKED'"
echo "    shapes loads $LINKED"

# expect_success LOG MLLOG: the run reported SUCCESS and its MLLOG ends with run_stop success.
expect_success() {
  grep -q "shapes: SUCCESS (quality target reached)" "$1" || { show "$1"; fail "no SUCCESS in $1"; }
  grep '"key":"run_stop"' "$2" | grep -q '"status":"success"' || fail "no run_stop success in $2"
  echo "    $(grep "shapes: SUCCESS" "$1")"
}

step "(d) run on 1 process and on 2 Gloo ranks"
timed "1 process" "$TMP/run1.log" timeout -k 5 300 "$EXT_BUILD/shapes" "$TMP/logs1"
expect_success "$TMP/run1.log" "$TMP/logs1/shapes.log"
# A port taken by someone else makes rank 0 fail with "address already in use": retry.
export MASTER_ADDR=127.0.0.1 OMP_NUM_THREADS=1
ran=0
for _ in 1 2 3; do
  port=$((20000 + (RANDOM * 32768 + RANDOM) % 20001))
  rm -rf "$TMP/logs2"
  start=$(date +%s%N)
  PIDS=()
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 MASTER_PORT=$port timeout -k 5 300 "$EXT_BUILD/shapes" "$TMP/logs2" \
      > "$TMP/run2.$r.log" 2>&1 &
    PIDS+=($!)
  done
  rc0=0 rc1=0
  wait "${PIDS[0]}" || rc0=$?
  if [ "$rc0" -ne 0 ] && grep -qi "address already in use" "$TMP/run2.0.log"; then
    echo "    port $port in use, retrying"
    kill "${PIDS[1]}" 2>/dev/null || true
    wait "${PIDS[1]}" 2>/dev/null || true
    continue
  fi
  wait "${PIDS[1]}" || rc1=$?
  PIDS=()
  printf '    %-34s %s\n' "2 Gloo ranks (port $port)" "$(since "$start")"
  if [ "$rc0" -ne 0 ] || [ "$rc1" -ne 0 ]; then
    show "$TMP/run2.0.log" "$TMP/run2.1.log"
    fail "2 ranks: exit codes $rc0, $rc1"
  fi
  ran=1
  break
done
[ "$ran" -eq 1 ] || fail "2 ranks: no free port in 3 tries"
expect_success "$TMP/run2.0.log" "$TMP/logs2/shapes.log"
grep -q "2 ranks (gloo)" "$TMP/run2.0.log" || fail "rank 0 did not run 2 gloo ranks"
! grep -q "shapes: SUCCESS" "$TMP/run2.1.log" || fail "rank 1 printed the summary"
unset MASTER_ADDR OMP_NUM_THREADS LD_LIBRARY_PATH PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

step "(e) segbench as a Meson subproject (compiles the library)"
mkdir -p "$TMP/ext/subprojects"
cp "$SRC/examples/external/meson.build" "$SRC/examples/external/shapes.cpp" "$TMP/ext/"
ln -s "$SRC" "$TMP/ext/subprojects/segbench"
timed "meson setup" "$TMP/sub-setup.log" \
  "$MESON" setup "$TMP/ext/build" "$TMP/ext" --force-fallback-for=segbench
grep -q "Subproject segbench finished" "$TMP/sub-setup.log" || fail "segbench not used as a subproject"
# Only what shapes needs: libsegbench (not libsegbench_recipes).
timed "ninja shapes (libsegbench + shapes)" "$TMP/sub-build.log" \
  ninja -C "$TMP/ext/build" -j"$JOBS" shapes
LINKED=$(ldd "$TMP/ext/build/shapes" | awk '/libsegbench/ {print $3}')
[[ "$LINKED" == "$TMP/ext/build/subprojects/segbench/"* ]] ||
  fail "subproject build loads libsegbench from '$LINKED'"
timed "1 process" "$TMP/sub-run1.log" timeout -k 5 300 "$TMP/ext/build/shapes" "$TMP/logs3"
expect_success "$TMP/sub-run1.log" "$TMP/logs3/shapes.log"

echo
echo "install_and_consume: PASS"
