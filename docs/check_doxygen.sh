#!/bin/sh
# The `doxygen` test (meson test --suite docs): builds the API reference and fails when Doxygen
# wrote any warning, printing them.
# Usage: check_doxygen.sh DOXYGEN DOXYFILE WARN_LOGFILE
set -u
if [ "$#" -ne 3 ]; then
  echo "usage: $0 DOXYGEN DOXYFILE WARN_LOGFILE" >&2
  exit 2
fi
doxygen=$1 doxyfile=$2 log=$3

rm -f "$log"
if ! "$doxygen" "$doxyfile"; then
  echo "check_doxygen: $doxygen $doxyfile failed" >&2
  [ -s "$log" ] && cat "$log" >&2
  exit 1
fi
if [ ! -e "$log" ]; then
  echo "check_doxygen: $doxygen wrote no warning log at $log (WARN_LOGFILE in $doxyfile?)" >&2
  exit 1
fi
if [ -s "$log" ]; then
  echo "check_doxygen: $(grep -c . "$log") line(s) of Doxygen warnings:" >&2
  cat "$log" >&2
  exit 1
fi
echo "check_doxygen: no warnings"
