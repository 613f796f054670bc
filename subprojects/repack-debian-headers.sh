#!/usr/bin/env bash
# Rebuilds subprojects/packagecache/*.tar.gz: the headers of Debian 12's header-only packages,
# repacked as the source archives of the wraps beside this script, so a machine without these
# packages and without network (the lent GPU machine) builds with
#   meson setup BUILD --wrap-mode=nodownload --force-fallback-for=fmt,nlohmann_json,cli11,xtensor,xtl,catch2
# Needs apt-get download access (Debian mirror). Prints the sha256 to put in each .wrap.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
repack() {  # package version directory-name
  local package=$1 version=$2 name=$3
  (cd "$WORK" && apt-get download "$package=$version" > /dev/null)
  mkdir -p "$WORK/$name-root"
  dpkg -x "$WORK/${package}_${version//:/%3a}_"*.deb "$WORK/$name-root"
  mkdir -p "$WORK/$name"
  cp -r "$WORK/$name-root/usr/include" "$WORK/$name/include"
  tar -C "$WORK" --sort=name --owner=0 --group=0 --numeric-owner --mtime='2024-01-01' \
    -czf "$HERE/packagecache/$name.tar.gz" "$name"
  echo "$name.tar.gz $(sha256sum "$HERE/packagecache/$name.tar.gz" | cut -d' ' -f1)"
}
mkdir -p "$HERE/packagecache"
repack libfmt-dev 9.1.0+ds1-2 fmt-9.1.0
repack nlohmann-json3-dev 3.11.2-2 nlohmann_json-3.11.2
repack libcli11-dev 2.1.2+ds-1 cli11-2.1.2
repack xtl-dev 0.7.2-2.1 xtl-0.7.2
repack libxtensor-dev 0.24.3-1 xtensor-0.24.3
repack catch2 2.13.10-1 catch2-2.13.10
