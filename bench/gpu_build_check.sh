#!/usr/bin/env bash
# Builds segbench against the libtorch of the installed PyTorch wheel (2.x) and runs the unit
# tests and benches: the check that the code builds against both LibTorch 1.13 (Debian) and
# 2.x. Header-only deps come from the wraps in subprojects/ (offline, packagecache/);
# nifticlib, znzlib and zlib from Debian packages unpacked into .deps/root (ignored by git,
# carried to the machine): `apt-get download libnifti2-dev libnifti2-2 libniftiio-dev
# libniftiio2 libznz-dev libznz3 zlib1g zlib1g-dev` then `dpkg -x` each into .deps/root.
# Since DeepCAM, meson also requires HDF5: add libhdf5-dev libhdf5-103-1 libhdf5-hl-100
# libsz2 libaec0 libaec-dev to that list (not yet tried on the GPU machine; Debian's
# hdf5.pc is hdf5-serial.pc, reached through an alternatives link that dpkg -x does not make).
# Run from the repository root; figures go to bench/RESULTS.md.
set -euo pipefail
ROOT=$PWD
DEPS=/tmp/segbench-deps  # outside the source tree (Meson refuses include paths inside it)
rm -rf "$DEPS" && cp -r "$ROOT/.deps/root" "$DEPS"
# Debian's libz.so points into /lib of the unpacked tree; use the shared object, never libz.a.
rm -f "$DEPS"/usr/lib/x86_64-linux-gnu/libz.a
ln -sf "$DEPS"/lib/x86_64-linux-gnu/libz.so.1 "$DEPS"/usr/lib/x86_64-linux-gnu/libz.so
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_build_check.log") 2>&1
echo "== machine"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
g++ --version | head -1; meson --version; cmake --version | head -1; nvcc --version | tail -1
TORCH_DIR=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
python3 -c 'import torch; print("torch", torch.__version__, "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)'
export PKG_CONFIG_PATH=$DEPS/usr/lib/x86_64-linux-gnu/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$DEPS  # zlib.pc says prefix=/usr
export LD_LIBRARY_PATH=$DEPS/usr/lib/x86_64-linux-gnu:$TORCH_DIR/lib:${LD_LIBRARY_PATH:-}
echo "== configure"
rm -rf /tmp/build-gpu
start=$SECONDS
# FMT_HEADER_ONLY (set by the fmt wrap): the wheel ships its own fmt v12 headers next to
# torch's; header-only mode keeps whichever fmt the compiler picks self-contained.
meson setup /tmp/build-gpu "$ROOT" --buildtype=release -Dcmake_prefix_path="$TORCH_DIR" \
  --wrap-mode=nodownload --force-fallback-for=fmt,nlohmann_json,cli11,xtensor,xtl,catch2 \
  -Dnifti_include_dir="$DEPS/usr/include/nifti" -Dnifti_lib_dir="$DEPS/usr/lib/x86_64-linux-gnu" \
  -Dcpp_link_args="-Wl,-rpath,$TORCH_DIR/lib"
echo "== build"
ninja -C /tmp/build-gpu -j 16
echo "configure+build: $((SECONDS - start)) s"
echo "== tests (CPU paths, LibTorch 2.x)"
status=0
meson test -C /tmp/build-gpu --no-rebuild --num-processes 8 --suite unit || status=$?
/tmp/build-gpu/examples/unet3d_kits19 --preset reference --dry-run --data_dir X | tail -1
echo "== benches"
/tmp/build-gpu/bench/upsample_bench 64 32 32 2 5 8
/tmp/build-gpu/bench/train_step_bench 64 2 3 8
exit $status
