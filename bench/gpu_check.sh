#!/usr/bin/env bash
# The GPU check, one command on a machine with one or more NVIDIA GPUs and an installed PyTorch
# 2.x with CUDA (nvcc, CMake, ninja, meson; no Debian -dev packages, no network). What the image
# lacks travels in the working tree: the header-only wraps are in subprojects/packagecache
# (tracked), and HDF5, NIfTI and zlib in .deps/ (ignored by git: run bench/gpu_deps.sh here
# first, ~29 MiB, and carry ".deps" to the GPU machine). Then, from the repository root there:
#
#   bench/gpu_check.sh                   figures to $OUT/gpu_figures.txt (default OUT=/tmp/out),
#                                        the whole log to $OUT/gpu_check.log
#   bench/gpu_check.sh --cpu-dry-run [BUILD_DIR]
#                                        every step but the configure/build against an existing
#                                        build (default build-cuda) with --device cpu at tiny
#                                        sizes: run it here so that the GPU run works first time
#
# Steps: build against that PyTorch (-Dcuda=enabled, linked with libtorch_cuda); the unit suite
# with every device-looped test on the CPU and cuda:0, compared; each demo to its target with
# --device cuda; NCCL at world size 1 and, with two GPUs or more, 2 processes; the step
# benchmark at reference shapes in fp32 (TF32) and bf16 with model FLOP utilisation. Each step
# has a time limit; the whole is sized for about 5 minutes on an H100 (16 cores).
set -euo pipefail
ROOT=$PWD
[ -f "$ROOT/meson.build" ] && [ -d "$ROOT/bench" ] || {
  echo "gpu_check.sh: run it from the repository root" >&2
  exit 2
}
DRY_RUN=0
if [ "${1:-}" = --cpu-dry-run ]; then
  DRY_RUN=1
  BUILD=$(cd "${2:-$ROOT/build-cuda}" 2>/dev/null && pwd) || {
    echo "gpu_check.sh: --cpu-dry-run: no build directory '${2:-$ROOT/build-cuda}'" >&2
    exit 2
  }
elif [ $# -gt 0 ]; then
  echo "usage: bench/gpu_check.sh [--cpu-dry-run [BUILD_DIR]]" >&2
  exit 2
fi
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
FIGURES=$OUT/gpu_figures.txt
STEP_JSON=$OUT/gpu_step_bench.jsonl
: >"$FIGURES"
: >"$STEP_JSON"
exec > >(tee "$OUT/gpu_check.log") 2>&1
START=$SECONDS
STEP_START=$SECONDS
CURRENT=""
# A step's name, its time and status go to the figures file as it ends.
end_step() {
  if [ -n "$CURRENT" ]; then
    printf '%-60s %5d s\n' "$CURRENT" $((SECONDS - STEP_START)) >>"$FIGURES"
  fi
}
step() {
  end_step
  CURRENT=$*
  STEP_START=$SECONDS
  echo
  echo "== $* ($((SECONDS - START)) s)"
}
status=0
failed() { # a step that failed: recorded, the check goes on
  echo "FAILED: $1 (exit $2)" | tee -a "$FIGURES"
  status=1
}

if ((DRY_RUN)); then
  DEVICE=cpu DIST=gloo THREADS=2 TEST_DEVICES=cpu
  SCALE=0.05 STEPS=1
  UNIT_AREAS=(trainer dist models) # the areas whose tests this work touches; the rest as on CI
  # The path, not the target: one epoch on the CPU (the 3D U-Net driver says --epochs).
  declare -A DEMO_ARGS=([kits19]="--epochs 1" [deepcam]="--max_epochs 1" [brats]="--max_epochs 1")
else
  DEVICE=cuda DIST=nccl THREADS=8 TEST_DEVICES=cpu,cuda:0 SCALE=1 STEPS=10
  UNIT_AREAS=()
  declare -A DEMO_ARGS=([kits19]="" [deepcam]="" [brats]="")
fi
echo "gpu_check: $( ((DRY_RUN)) && echo "CPU dry run of $BUILD" || echo "GPU run"), figures in $FIGURES"

step machine
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())' ||
  true
g++ --version | head -1
meson --version
nvcc --version 2>/dev/null | tail -1 || true
GPUS=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l || true)
GPUS=${GPUS:-0}
echo "GPUs: $GPUS"
if ((!DRY_RUN)); then
  ((GPUS > 0)) || { echo "no GPU visible (nvidia-smi): nothing to check" && exit 2; }
fi

TORCH_DIR=""
if ((!DRY_RUN)); then
  step "dependencies from .deps (bench/gpu_deps.sh) and subprojects/packagecache"
  [ -d "$ROOT/.deps/root" ] || { echo "no .deps/root: run bench/gpu_deps.sh where apt works and carry .deps" && exit 2; }
  DEPS=/tmp/segbench-deps # outside the source tree (Meson refuses include paths inside it)
  rm -rf "$DEPS" && cp -r "$ROOT/.deps/root" "$DEPS"
  ln -sf "$DEPS"/lib/x86_64-linux-gnu/libz.so.1 "$DEPS"/usr/lib/x86_64-linux-gnu/libz.so
  TORCH_DIR=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
  export PKG_CONFIG_PATH=$DEPS/usr/lib/x86_64-linux-gnu/pkgconfig
  export PKG_CONFIG_SYSROOT_DIR=$DEPS
  export LD_LIBRARY_PATH=$DEPS/usr/lib/x86_64-linux-gnu:$DEPS/usr/lib/x86_64-linux-gnu/hdf5/serial:$DEPS/lib/x86_64-linux-gnu:$TORCH_DIR/lib:${LD_LIBRARY_PATH:-}

  step "configure + build (PyTorch flavour, CUDA)"
  BUILD=/tmp/build-gpu
  rm -rf "$BUILD"
  timeout 600 meson setup "$BUILD" "$ROOT" --buildtype=release -Dcuda=enabled \
    -Dcmake_prefix_path="$TORCH_DIR" --wrap-mode=nodownload \
    --force-fallback-for=fmt,nlohmann_json,cli11,xtensor,xtl,catch2 \
    -Dnifti_include_dir="$DEPS/usr/include/nifti" -Dnifti_lib_dir="$DEPS/usr/lib/x86_64-linux-gnu" \
    -Ddocs=disabled -Dcpp_link_args="-Wl,-rpath,$TORCH_DIR/lib" >"$OUT/meson_setup.log" ||
    { tail -30 "$OUT/meson_setup.log"; exit 1; }
  timeout 900 ninja -C "$BUILD" -j "$(nproc)"
fi
if [[ "$(ldd "$BUILD/examples/unet3d_kits19")" == *libtorch_cuda* ]]; then
  echo "unet3d_kits19 is linked against libtorch_cuda"
elif ((!DRY_RUN)); then
  echo "unet3d_kits19 is not linked against libtorch_cuda" && exit 1
else
  echo "(dry run: $BUILD is not a CUDA build)"
fi

step "unit suite (device-looped tests on ${TEST_DEVICES//,/ and }; a listed GPU that is missing fails)"
SEGBENCH_TEST_DEVICES=$TEST_DEVICES timeout 900 meson test -C "$BUILD" --no-rebuild \
  --num-processes "$THREADS" --suite unit "${UNIT_AREAS[@]}" --print-errorlogs ||
  failed "unit suite" $?

# Judged by the driver's own status ("target reached"): the demo script's exit status also
# carries the official MLPerf checker's verdict, whose virtual environment (.cache/) does not
# travel to the GPU machine (its absence is reported, not counted).
for demo in kits19 deepcam brats; do
  step "demo $demo (--device $DEVICE)"
  # Dry run: fewer cases (8 KiTS19 cases: 4 to train, one batch of 2 on each of 2 ranks).
  SEGBENCH_DEMO_CASES=$( ((DRY_RUN)) && echo 8 || echo 20) \
    SEGBENCH_DEMO_TRAIN=$( ((DRY_RUN)) && echo 8 || echo 64) \
    SEGBENCH_DEMO_VALIDATION=$( ((DRY_RUN)) && echo 4 || echo 16) timeout 600 \
    "$ROOT/examples/${demo}_demo.sh" "$BUILD" "/tmp/demo-$demo" --device "$DEVICE" \
    --threads "$THREADS" ${DEMO_ARGS[$demo]} >"$OUT/demo-$demo.log" 2>&1 || true
  tail -12 "$OUT/demo-$demo.log"
  grep -h "^status \|^time to target\|^last " "$OUT/demo-$demo.log" | sed "s/^/demo $demo: /" |
    tee -a "$FIGURES" || true
  if grep -q "^status *: target reached" "$OUT/demo-$demo.log"; then
    :
  elif ((DRY_RUN)) && grep -qs '"key": *"run_stop"' /tmp/demo-"$demo"/logs/*.log; then
    echo "(dry run: one epoch ran the whole path to run_stop; the target is not expected)"
  else
    failed "demo $demo" 1
  fi
done

# Two epochs do not reach the target (the driver then exits 1, "max epochs reached"): a
# distributed run passes when it ended with run_stop on the expected backend.
KITS=/tmp/demo-kits19/preprocessed
dist_ran() { # LOG WORLD
  grep -q "run_stop" "$1" && grep -q "$2 ranks ($DIST)" "$1"
}
step "$DIST at world size 1 (2 epochs of the 3D U-Net demo)"
rm -rf /tmp/dist1-logs
RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29533 timeout 300 \
  "$BUILD/examples/unet3d_kits19" --preset demo --device "$DEVICE" --dist "$DIST" --epochs 2 \
  --threads "$THREADS" --data_dir "$KITS" --log_dir /tmp/dist1-logs >"$OUT/dist1.log" 2>&1 || true
tail -1 "$OUT/dist1.log" | tee -a "$FIGURES"
dist_ran "$OUT/dist1.log" 1 || failed "$DIST world 1" 1

# NCCL needs one GPU per rank; the dry run's Gloo ranks share the CPU.
if ((DRY_RUN || GPUS >= 2)); then
  step "$DIST with 2 processes (1 epoch of the 3D U-Net demo, --grad_sync overlap)"
  rm -rf /tmp/dist2-logs
  pids=()
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=29534 timeout 300 \
      "$BUILD/examples/unet3d_kits19" --preset demo --device "$DEVICE" --dist "$DIST" --epochs 1 \
      --grad_sync overlap --threads $((THREADS / 2 > 0 ? THREADS / 2 : 1)) --data_dir "$KITS" \
      --log_dir /tmp/dist2-logs >"$OUT/dist2.rank$r.log" 2>&1 &
    pids+=($!)
  done
  for r in 0 1; do wait "${pids[$r]}" || true; done
  tail -1 "$OUT/dist2.rank0.log" | tee -a "$FIGURES"
  dist_ran "$OUT/dist2.rank0.log" 2 || failed "$DIST 2 processes" 1
else
  echo "one GPU: NCCL with 2 processes needs two (skipped)" | tee -a "$FIGURES"
fi

step "step throughput (scale $SCALE: 3D U-Net 2x1x128^3, DeepCAM 2x16x768x1152, nnU-Net 2D 64x4x192x160 at 1)"
timeout 600 "$BUILD/bench/gpu_step_bench" "$DEVICE" "$SCALE" "$STEPS" "$STEP_JSON" |
  tee -a "$FIGURES" || failed "gpu_step_bench" $?
[ -s "$STEP_JSON" ] || failed "gpu_step_bench wrote no figures" 1

step "done: exit $status"
end_step
echo "total $((SECONDS - START)) s" >>"$FIGURES"
cat "$FIGURES"
exit $status
