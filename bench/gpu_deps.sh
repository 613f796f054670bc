#!/usr/bin/env bash
# Prepares .deps/root (ignored by git, carried to a GPU machine with `carry: [".deps"]`): the
# Debian libraries segbench needs that a bare PyTorch image lacks, unpacked with dpkg -x.
# Header-only dependencies come from the wraps in subprojects/ (packagecache/, offline).
# Run here, on Debian 12, once; bench/gpu_check.sh uses the result there.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGES=(libnifti2-dev libnifti2-2 libniftiio-dev libniftiio2 libznz-dev libznz3 zlib1g
  zlib1g-dev libhdf5-dev libhdf5-103-1 libhdf5-hl-100 libhdf5-cpp-103-1 libsz2 libaec0 libaec-dev
  libcurl4 libjpeg62-turbo libjpeg62-turbo-dev libgfortran5 libhdf5-fortran-102 libhdf5-hl-fortran-100
  libhdf5-hl-cpp-100 libssl3 libnghttp2-14 librtmp1 libssh2-1 libpsl5 libbrotli1 libldap-2.5-0
  libsasl2-2 libidn2-0 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1
  libunistring2 libgnutls30 libhogweed6 libnettle8 libtasn1-6 libp11-kit0 libffi8 libgmp10)
DEPS=$ROOT/.deps
rm -rf "$DEPS" && mkdir -p "$DEPS/debs" "$DEPS/root"
(cd "$DEPS/debs" && apt-get download "${PACKAGES[@]}" > /dev/null)
for deb in "$DEPS"/debs/*.deb; do dpkg -x "$deb" "$DEPS/root"; done
rm -rf "$DEPS/debs" "$DEPS"/root/usr/share/{doc,man,lintian}
find "$DEPS/root" -name "*.a" -delete  # shared objects only: keeps the carried tree small
# Debian reaches hdf5.pc through the alternatives system, which dpkg -x does not run.
ln -sf hdf5-serial.pc "$DEPS/root/usr/lib/x86_64-linux-gnu/pkgconfig/hdf5.pc"
du -sh "$DEPS"
