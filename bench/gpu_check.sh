#!/usr/bin/env bash
# The GPU check, one command on a machine with one NVIDIA GPU and an installed PyTorch 2.x with
# CUDA (nvcc, CMake, ninja, meson; no Debian -dev packages, no network). What the image lacks
# travels in the working tree: run bench/gpu_deps.sh here first (→ .deps, carried), the header
# wraps are in subprojects/packagecache. Then, from the repository root there:
#   bench/gpu_check.sh            (figures to $OUT/gpu_check.log, default /tmp/out)
# Steps: build against that PyTorch (-Dcuda=enabled), the unit suite, each demo to its target
# with --device cuda, NCCL at world size 1, and the step benchmark at reference shapes in fp32
# and bf16. Sized for well under 10 minutes on an H100 (16 cores).
set -euo pipefail
ROOT=$PWD
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
START=$SECONDS
step() { echo; echo "== $* ($((SECONDS - START)) s)"; }

step machine
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
g++ --version | head -1; meson --version; nvcc --version | tail -1

step "dependencies from .deps (bench/gpu_deps.sh)"
[ -d "$ROOT/.deps/root" ] || { echo "no .deps/root: run bench/gpu_deps.sh where apt works"; exit 2; }
DEPS=/tmp/segbench-deps  # outside the source tree (Meson refuses include paths inside it)
rm -rf "$DEPS" && cp -r "$ROOT/.deps/root" "$DEPS"
ln -sf "$DEPS"/lib/x86_64-linux-gnu/libz.so.1 "$DEPS"/usr/lib/x86_64-linux-gnu/libz.so
TORCH_DIR=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
export PKG_CONFIG_PATH=$DEPS/usr/lib/x86_64-linux-gnu/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$DEPS
export LD_LIBRARY_PATH=$DEPS/usr/lib/x86_64-linux-gnu:$DEPS/usr/lib/x86_64-linux-gnu/hdf5/serial:$DEPS/lib/x86_64-linux-gnu:$TORCH_DIR/lib:${LD_LIBRARY_PATH:-}

step "configure + build (PyTorch flavour, CUDA)"
BUILD=/tmp/build-gpu
rm -rf "$BUILD"
meson setup "$BUILD" "$ROOT" --buildtype=release -Dcuda=enabled -Dcmake_prefix_path="$TORCH_DIR" \
  --wrap-mode=nodownload --force-fallback-for=fmt,nlohmann_json,cli11,xtensor,xtl,catch2 \
  -Dnifti_include_dir="$DEPS/usr/include/nifti" -Dnifti_lib_dir="$DEPS/usr/lib/x86_64-linux-gnu" \
  -Ddocs=disabled -Dcpp_link_args="-Wl,-rpath,$TORCH_DIR/lib" > "$OUT/meson_setup.log"
ninja -C "$BUILD" -j "$(nproc)"
ldd "$BUILD/examples/unet3d_kits19" | grep torch_cuda || { echo "unet3d_kits19 is not linked against libtorch_cuda"; exit 1; }

status=0
step "unit suite (device-looped tests on the CPU and cuda:0, compared; no GPU is a failure)"
SEGBENCH_TEST_DEVICES=cpu,cuda:0 meson test -C "$BUILD" --no-rebuild --num-processes 8 --suite unit ||
  status=$?

step "demos on the GPU (--device cuda), each to its target"
for demo in kits19 deepcam brats; do
  "$ROOT/examples/${demo}_demo.sh" "$BUILD" "/tmp/demo-$demo" --device cuda --threads 8 || status=$?
done

step "NCCL at world size 1 (2 epochs of the 3D U-Net demo)"
RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29533 "$BUILD/examples/unet3d_kits19" \
  --preset demo --device cuda --dist nccl --epochs 2 --data_dir /tmp/demo-kits19/preprocessed \
  --log_dir /tmp/nccl-logs 2>&1 | tail -3 || status=$?

step "step throughput at reference shapes (fp32 and bf16 autocast)"
"$BUILD/bench/gpu_step_bench" cuda 1 10 || status=$?

step "done: exit $status"
exit $status
