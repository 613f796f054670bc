#!/usr/bin/env bash
# segbench's one entry point. On a bare Debian 12 machine each command first installs what is
# missing (apt-get), configures and builds, then runs.
#   ./run.sh demo            3D U-Net demo: synthetic KiTS19 → preprocess → train to Dice ≥ 0.908
#   ./run.sh demo deepcam    DeepCAM demo: synthetic CAM5 HDF5 → stats → train to IoU ≥ 0.82
#   ./run.sh demo brats      nnU-Net 2D demo: synthetic MSD Task01 → preprocess → Dice ≥ 0.90
#   ./run.sh test            the whole test suite (meson test)
#   ./run.sh build           install + configure + build only
#   ./run.sh deps            install the Debian packages only
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${SEGBENCH_BUILD_DIR:-$ROOT/build}
JOBS=${SEGBENCH_JOBS:-$(nproc)}
DEMO_DIR=${SEGBENCH_DEMO_DIR:-$ROOT/demo-out}

# libopenblas0-pthread: Debian's libtorch calls libblas.so.3, which is otherwise the netlib
# reference BLAS (~30x slower GEMM, fidelity §5.3/§6).
PACKAGES=(g++ meson ninja-build cmake pkg-config libtorch-dev libgloo-dev libxtensor-dev
  libxtensor-blas-dev libblas-dev liblapack-dev libopenblas0-pthread libfmt-dev catch2
  libopenmpi-dev openmpi-bin libhdf5-dev libnifti2-dev libcli11-dev nlohmann-json3-dev
  zlib1g-dev procps doxygen)

log() { printf '[run.sh] %s\n' "$*" >&2; }

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  install_deps
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR"
    meson setup "$BUILD_DIR" "$ROOT" --buildtype=release
  fi
  log "building with $JOBS jobs"
  local start=$SECONDS
  ninja -C "$BUILD_DIR" -j "$JOBS"
  log "build finished in $((SECONDS - start)) s"
}

run_tests() {
  build
  local start=$SECONDS status=0
  meson test -C "$BUILD_DIR" --no-rebuild --print-errorlogs --num-processes 2 "$@" || status=$?
  log "tests finished in $((SECONDS - start)) s"
  # One plain summary line from meson's JSON log: "N passed, N failed".
  python3 - "$BUILD_DIR/meson-logs/testlog.json" <<'PY' || true
import json, sys
ok = bad = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skipped += 1
    else: bad += 1
print(f"{ok} passed, {bad} failed" + (f", {skipped} skipped" if skipped else ""))
PY
  return $status
}

run_demo() {
  local script=kits19_demo.sh
  case "${1:-}" in
    kits19 | unet3d) shift ;;
    deepcam) script=deepcam_demo.sh; shift ;;
    brats | unet2d) script=brats_demo.sh; shift ;;
  esac
  build
  "$ROOT/examples/$script" "$BUILD_DIR" "$DEMO_DIR" "$@"
}

case "${1:-}" in
  demo) shift; run_demo "$@" ;;
  test) shift; run_tests "$@" ;;
  build) build ;;
  deps) install_deps ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
