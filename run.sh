#!/usr/bin/env bash
# segbench's one entry point. On a bare Debian 12 machine each command first installs what is
# missing (apt-get), configures and builds, then runs.
#   ./run.sh demo            3D U-Net demo: synthetic KiTS19 → preprocess → train to Dice ≥ 0.908
#   ./run.sh demo deepcam    DeepCAM demo: synthetic CAM5 HDF5 → stats → train to IoU ≥ 0.82
#   ./run.sh demo brats      nnU-Net 2D demo: synthetic MSD Task01 → preprocess → Dice ≥ 0.90
#   ./run.sh test            the whole test suite (meson test)
#   ./run.sh bench [ARGS]    segbench's training step vs the Python reference's, back to back:
#                            C++/Python ratio table + JSON (bench/tools/step_compare.py ARGS)
#   ./run.sh regress [--update]  step benchmarks + a short demo campaign against the stored
#                            baseline in bench/baselines/ (bench/tools/regress.py)
#   ./run.sh build           install + configure + build only
#   ./run.sh deps            install the Debian packages only
# LibTorch flavour, one switch (after build/test, or SEGBENCH_TORCH for demo):
#   debian (default)  Debian's libtorch 1.13, CPU                      → build/
#   cuda              the pinned PyTorch 2.11 CUDA 13.0 wheel from PyPI, unpacked into
#                     .cache/ and linked with this machine's CUDA toolkit  → build-cuda/
#   pytorch[=DIR]     an installed PyTorch (import torch, or its package DIR) → build-pytorch/
#   e.g. ./run.sh build cuda; ./run.sh test cuda; SEGBENCH_TORCH=cuda ./run.sh demo
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
  zlib1g-dev procps doxygen unzip python3-pip python3-venv python3-yaml
  python3-torch python3-matplotlib)
# python3-torch: the Python reference steps of bench/baseline/ on the same libtorch 1.13;
# python3-matplotlib: the plots of bench/tools/report.py. Both are run by /usr/bin/python3.

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

# The CUDA flavour's pinned wheels: PyTorch 2.11.0 built for CUDA 13.0, and the three runtime
# libraries its libtorch_cuda needs that the CUDA 13.0 toolkit does not ship.
TORCH_VERSION=2.11.0
CUDA_WHEELS=(
  "torch==$TORCH_VERSION 7aa2f9bbc6d4595ba72138026b2074be1233186150e9292865e04b7a63b8c67a"
  "nvidia-cusparselt-cu13==0.8.0 25e30a8a7323935d4ad0340b95a0b69926eee755767e8e0b1cf8dd85b197d3fd"
  "nvidia-nvshmem-cu13==3.4.5 290f0a2ee94c9f3687a02502f3b9299a9f9fe826e6d0287ee18482e78d495b80"
  "nvidia-cufile==1.15.1.6 08a3ecefae5a01c7f5117351c64f17c7c62efa5fffdbe24fc7d298da19cd0b44"
)
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
CACHE_DIR=$ROOT/.cache

# Downloads (pip, no install) and unpacks the pinned wheels into .cache/torch-cuda-<version>;
# prints that folder's torch/ directory.
fetch_cuda_torch() {
  local dest=$CACHE_DIR/torch-cuda-$TORCH_VERSION wheels=$CACHE_DIR/wheels
  if [ -f "$dest/.complete" ]; then echo "$dest/torch"; return 0; fi
  [ -x "$CUDA_HOME/bin/nvcc" ] || { log "CUDA toolkit not found in $CUDA_HOME (set CUDA_HOME)"; exit 2; }
  mkdir -p "$wheels"
  rm -rf "$dest" && mkdir -p "$dest"
  local entry spec hash file
  for entry in "${CUDA_WHEELS[@]}"; do
    spec=${entry% *} hash=${entry#* }
    file=$(ls "$wheels"/"$(echo "${spec%%==*}" | tr - _)"-"${spec#*==}"-*.whl 2>/dev/null | head -1 || true)
    if [ -z "$file" ]; then
      log "downloading $spec from PyPI"
      python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d "$wheels" "$spec" >&2
      file=$(ls "$wheels"/"$(echo "${spec%%==*}" | tr - _)"-"${spec#*==}"-*.whl | head -1)
    fi
    echo "$hash  $file" | sha256sum -c --quiet - >&2 || { log "checksum mismatch: $file"; exit 2; }
    log "unpacking $(basename "$file")"
    if [ "${spec%%==*}" = torch ]; then
      (cd "$dest" && unzip -q -o "$file" 'torch/lib/*' 'torch/include/*' 'torch/share/*' 'torch/version.py')
    else
      (cd "$dest" && unzip -q -o -j "$file" '*/lib/*.so*' -d torch/lib)
    fi
  done
  touch "$dest/.complete"
  echo "$dest/torch"
}

# The official MLPerf compliance checker that the tests and demos run on every log they write:
# the pinned mlperf-logging wheel (tests/support/mlperf_logging_requirements.txt, hash-checked)
# in a virtual environment of the project. Its only dependency, PyYAML, is Debian's.
MLPERF_LOGGING_VENV=$CACHE_DIR/mlperf-logging
install_mlperf_logging() {
  local requirements=$ROOT/tests/support/mlperf_logging_requirements.txt
  local stamp=$MLPERF_LOGGING_VENV/requirements.installed
  if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then return 0; fi
  log "installing the pinned mlperf-logging (official MLPerf log checker) into $MLPERF_LOGGING_VENV"
  rm -rf "$MLPERF_LOGGING_VENV"
  python3 -m venv --system-site-packages "$MLPERF_LOGGING_VENV"
  "$MLPERF_LOGGING_VENV/bin/python3" -m pip install -q --disable-pip-version-check --no-deps \
    --only-binary=:all: --require-hashes -r "$requirements"
  cp "$requirements" "$stamp"
}

# The LibTorch flavour from the first build/test argument (or SEGBENCH_TORCH): sets BUILD_DIR
# and the meson options; consumes the argument when it names a flavour.
FLAVOUR=${SEGBENCH_TORCH:-debian}
MESON_FLAVOUR_ARGS=()
pick_flavour() {
  case "${1:-}" in
    debian | cuda | pytorch | pytorch=*) FLAVOUR=$1; return 0 ;;
  esac
  return 1
}
configure_flavour() {
  local torch_dir
  case "$FLAVOUR" in
    debian) ;;
    cuda)
      BUILD_DIR=${SEGBENCH_BUILD_DIR:-$ROOT/build-cuda}
      torch_dir=$(fetch_cuda_torch)
      # Torch's own fmt headers sit in its include dir: the header-only fmt wrap keeps one fmt.
      MESON_FLAVOUR_ARGS=(-Dcuda=enabled -Dcmake_prefix_path="$torch_dir"
        --force-fallback-for=fmt
        -Dcpp_link_args="-Wl,-rpath,$torch_dir/lib:$CUDA_HOME/lib:$CUDA_HOME/lib64")
      export CUDA_PATH=$CUDA_HOME CUDAToolkit_ROOT=$CUDA_HOME
      export PATH=$CUDA_HOME/bin:$PATH
      ;;
    pytorch | pytorch=*)
      BUILD_DIR=${SEGBENCH_BUILD_DIR:-$ROOT/build-pytorch}
      if [ "$FLAVOUR" = pytorch ]; then
        torch_dir=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))') || {
          log "no installed PyTorch found (python3 -c 'import torch' failed); use pytorch=DIR"
          exit 2
        }
      else
        torch_dir=${FLAVOUR#pytorch=}
      fi
      [ -d "$torch_dir/share/cmake/Torch" ] || { log "$torch_dir: no share/cmake/Torch"; exit 2; }
      MESON_FLAVOUR_ARGS=(-Dcmake_prefix_path="$torch_dir" --force-fallback-for=fmt
        -Dcpp_link_args="-Wl,-rpath,$torch_dir/lib")
      if [ -d "$torch_dir/lib" ] && ls "$torch_dir"/lib/libtorch_cuda.so >/dev/null 2>&1; then
        MESON_FLAVOUR_ARGS+=(-Dcuda=enabled)
      fi
      ;;
    *) log "unknown LibTorch flavour '$FLAVOUR' (debian | cuda | pytorch[=DIR])"; exit 2 ;;
  esac
}

build() {
  install_deps
  configure_flavour
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR (LibTorch: $FLAVOUR)"
    meson setup "$BUILD_DIR" "$ROOT" --buildtype=release "${MESON_FLAVOUR_ARGS[@]}"
  fi
  log "building with $JOBS jobs"
  local start=$SECONDS
  ninja -C "$BUILD_DIR" -j "$JOBS"
  log "build finished in $((SECONDS - start)) s"
}

run_tests() {
  build
  install_mlperf_logging
  local start=$SECONDS status=0
  # The install/consume test is the same for every LibTorch: the default flavour runs it.
  local skip=()
  [ "$FLAVOUR" = debian ] || skip=(--no-suite install)
  meson test -C "$BUILD_DIR" --no-rebuild --print-errorlogs --num-processes 2 "${skip[@]}" "$@" ||
    status=$?
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
  install_mlperf_logging
  "$ROOT/examples/$script" "$BUILD_DIR" "$DEMO_DIR" "$@"
}

BENCH_DIR=${SEGBENCH_BENCH_DIR:-$ROOT/bench-out}
run_bench() {
  build
  mkdir -p "$BENCH_DIR"
  /usr/bin/python3 "$ROOT/bench/tools/step_compare.py" --build "$BUILD_DIR" \
    --json "$BENCH_DIR/step_compare.json" "$@"
}

run_regress() {
  build
  install_mlperf_logging
  mkdir -p "$BENCH_DIR"
  /usr/bin/python3 "$ROOT/bench/tools/regress.py" --build "$BUILD_DIR" --out "$BENCH_DIR/regress" "$@"
}

case "${1:-}" in
  demo) shift; run_demo "$@" ;;
  bench) shift; run_bench "$@" ;;
  regress) shift; run_regress "$@" ;;
  test) shift; if pick_flavour "${1:-}"; then shift; fi; run_tests "$@" ;;
  build) shift; if pick_flavour "${1:-}"; then shift; fi; build ;;
  deps) install_deps ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
