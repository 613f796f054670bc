#!/usr/bin/env bash
# segbench's one entry point. On a bare Debian 12 machine each command first installs what is
# missing (apt-get), configures and builds, then runs.
#   ./run.sh demo            3D U-Net demo: synthetic KiTS19 → preprocess → train to Dice ≥ 0.908
#   ./run.sh demo deepcam    DeepCAM demo: synthetic CAM5 HDF5 → stats → train to IoU ≥ 0.82
#   ./run.sh demo brats      nnU-Net 2D demo: synthetic MSD Task01 → preprocess → Dice ≥ 0.90
#   ./run.sh test            the whole test suite (meson test)
#   ./run.sh test sanitize   ASan + UBSan: the unit tests (g++, build-sanitize/), then each
#                            libFuzzer target (clang, build-fuzz/) for SEGBENCH_FUZZ_RUNS inputs (10000)
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
#   light             no LibTorch at all (-Dtorch=disabled): segbench-data, the light library and
#                     its tests; installs only the light tier's packages       → build-light/
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

# The light tier (-Dtorch=disabled: data tools, no LibTorch) needs only these.
LIGHT_PACKAGES=(g++ meson ninja-build cmake pkg-config libxtensor-dev libxtensor-blas-dev
  libfmt-dev catch2 libopenmpi-dev openmpi-bin libhdf5-dev libnifti2-dev libcli11-dev
  nlohmann-json3-dev zlib1g-dev procps python3-pip python3-venv python3-yaml binutils)

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
SANITIZE_MESON_ARGS=(-Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled
  -Ddocs=disabled -Dc_args=-O1)
FUZZ_BUILD_DIR=${SEGBENCH_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
FUZZ_TARGETS=(make_io_fuzz_seeds make_checkpoint_fuzz_seed fuzz_npy fuzz_nifti fuzz_nifti_gz
  fuzz_hdf5 fuzz_hdf5_bytes fuzz_checkpoint)
# The libFuzzer targets (tests/fuzz) need clang: a second build of the same tree, of which
# only those targets are built.
build_fuzz_targets() {
  if [ ! -f "$FUZZ_BUILD_DIR/build.ninja" ]; then
    local wrap=""
    if command -v ccache >/dev/null; then wrap="ccache "; fi
    log "configuring $FUZZ_BUILD_DIR (clang 16, libFuzzer)"
    CC="${wrap}clang-16" CXX="${wrap}clang++-16" meson setup "$FUZZ_BUILD_DIR" "$ROOT" \
      --buildtype=plain "${SANITIZE_MESON_ARGS[@]}" -Dfuzz=enabled \
      -Dcpp_args="-O1 -gline-tables-only -fno-omit-frame-pointer"
  fi
  ninja -C "$FUZZ_BUILD_DIR" -j "$JOBS" "${FUZZ_TARGETS[@]/#/tests/fuzz/}"
}
# The fuzz targets' compiler (Debian 12's clang 14 lacks std::source_location) and llvm-16 for
# llvm-symbolizer (readable sanitizer stacks).
SANITIZE_PACKAGES=(clang-16 libclang-rt-16-dev llvm-16)
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
BUILD_TYPE=release
BUILD_TARGETS=()  # empty: everything
pick_flavour() {
  case "${1:-}" in
    debian | cuda | pytorch | pytorch=* | sanitize | light) FLAVOUR=$1; return 0 ;;
  esac
  return 1
}
configure_flavour() {
  local torch_dir
  case "$FLAVOUR" in
    debian) ;;
    light)
      BUILD_DIR=${SEGBENCH_BUILD_DIR:-$ROOT/build-light}
      MESON_FLAVOUR_ARGS=(-Dtorch=disabled -Ddocs=disabled)
      ;;
    sanitize)
      # Debian's LibTorch (itself not instrumented) with ASan + UBSan, built by g++: LibTorch
      # 1.13's headers do not compile with clang in C++20. -O1 and -g1: readable stacks at a
      # fraction of -O2's compile time. Only the unit-test binaries and segbench-data are built
      # here (no bench, docs or drivers); the fuzz targets are built by build_fuzz_targets.
      BUILD_DIR=${SEGBENCH_BUILD_DIR:-$ROOT/build-sanitize}
      BUILD_TYPE=plain
      MESON_FLAVOUR_ARGS=("${SANITIZE_MESON_ARGS[@]}" -Dcpp_args="-O1 -g1 -fno-omit-frame-pointer")
      BUILD_TARGETS=(tests/segbench-tests-light tests/segbench-tests-torch data-tools/segbench-data)
      ;;
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
    *) log "unknown LibTorch flavour '$FLAVOUR' (debian | cuda | pytorch[=DIR] | sanitize | light)"; exit 2 ;;
  esac
}

build() {
  if [ "$FLAVOUR" = sanitize ]; then PACKAGES+=("${SANITIZE_PACKAGES[@]}"); fi
  if [ "$FLAVOUR" = light ]; then PACKAGES=("${LIGHT_PACKAGES[@]}"); fi
  install_deps
  configure_flavour
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR (LibTorch: $FLAVOUR)"
    meson setup "$BUILD_DIR" "$ROOT" --buildtype=$BUILD_TYPE "${MESON_FLAVOUR_ARGS[@]}"
  fi
  log "building with $JOBS jobs"
  local start=$SECONDS
  ninja -C "$BUILD_DIR" -j "$JOBS" "${BUILD_TARGETS[@]}"
  if [ "$FLAVOUR" = sanitize ]; then build_fuzz_targets; fi
  log "build finished in $((SECONDS - start)) s"
}

# Sanitizer settings for the sanitize flavour's tests and fuzz targets: any report fails the
# run; the suppressions (tests/fuzz/*.supp) each name the uninstrumented library and why.
sanitizer_env() {
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:suppressions=$ROOT/tests/fuzz/asan.supp"
  export LSAN_OPTIONS="suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0"
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)}
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$ROOT/tests/fuzz/ubsan.supp"
}

# Each libFuzzer target from the seeds that make_*_fuzz_seed(s) write plus the committed
# inputs of past findings (tests/data/fuzz-regressions/<target>/), for SEGBENCH_FUZZ_RUNS
# inputs each, seed 1. fuzz_hdf5_bytes (arbitrary bytes into libhdf5) only replays its seeds
# and past findings: mutating further finds libhdf5 1.10's own defects (fuzz_hdf5.cpp).
run_fuzz() {
  local runs=${SEGBENCH_FUZZ_RUNS:-10000} work=$FUZZ_BUILD_DIR/fuzz-run status=0
  rm -rf "$work" && mkdir -p "$work"
  "$FUZZ_BUILD_DIR/tests/fuzz/make_io_fuzz_seeds" "$work/seeds"
  "$FUZZ_BUILD_DIR/tests/fuzz/make_checkpoint_fuzz_seed" "$work/seeds"
  local target start inputs
  for target in npy nifti nifti_gz hdf5 hdf5_bytes checkpoint; do
    start=$SECONDS
    mkdir -p "$work/$target/corpus" "$work/seeds/$target"
    local regressions=$ROOT/tests/data/fuzz-regressions/$target
    if [ "$target" = hdf5_bytes ]; then
      # Each file run once (libFuzzer's replay mode when given files, not directories).
      inputs=("$work/seeds/$target"/* "$regressions"/*)
    else
      inputs=(-runs="$runs" "$work/$target/corpus" "$work/seeds/$target")
      if [ -d "$regressions" ]; then inputs+=("$regressions"); fi
    fi
    # -malloc_limit_mb: an allocation of what a corrupt header claims is a finding.
    if "$FUZZ_BUILD_DIR/tests/fuzz/fuzz_$target" -seed=1 -timeout=20 \
      -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1 \
      -artifact_prefix="$work/$target/" "${inputs[@]}" >"$work/$target/log" 2>&1; then
      if [ "$target" = hdf5_bytes ]; then
        log "fuzz_$target: replayed $(grep -c '^Executed ' "$work/$target/log") seeds and past findings, no finding ($((SECONDS - start)) s)"
      else
        log "fuzz_$target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target/log" |
          grep -o '[0-9]*$') inputs, no finding ($((SECONDS - start)) s)"
      fi
    else
      status=1
      log "fuzz_$target: FINDING (log $work/$target/log; input in $work/$target/):"
      tail -40 "$work/$target/log" >&2
    fi
  done
  return $status
}

run_tests() {
  build
  install_mlperf_logging
  if [ "$FLAVOUR" = sanitize ]; then
    sanitizer_env
    local start=$SECONDS status=0
    # The unit suites and the data-tool integration tests (segbench-data killed, resumed,
    # verified); not the drivers' end-to-end trainings and multi-rank runs: minutes each
    # uninstrumented (docs/how-to/fuzz-the-readers.md).
    meson test -C "$BUILD_DIR" --no-rebuild --print-errorlogs --num-processes 2 --suite unit \
      --timeout-multiplier 3 "$@" || status=$?
    meson test -C "$BUILD_DIR" --no-rebuild --print-errorlogs --num-processes 1 \
      --timeout-multiplier 3 data_tools_light kits19_verify || status=$?
    log "unit and data-tool tests (ASan + UBSan) finished in $((SECONDS - start)) s"
    start=$SECONDS
    run_fuzz || status=1
    log "fuzzing finished in $((SECONDS - start)) s"
    return $status
  fi
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
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
