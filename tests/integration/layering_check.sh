#!/usr/bin/env bash
# The core's folders form a DAG (docs/architecture.md): each may include only the folders listed
# for it here (concepts/, detail/, error.hpp and version.hpp are allowed everywhere), and no core
# folder includes recipes/. Fails naming every include that breaks it.
# Usage: layering_check.sh SOURCE_ROOT
set -euo pipefail
root=$1
declare -A allowed=(
  [io]=""
  [random]=""
  [prep]="io random"
  [transforms]=""
  [data]="io random prep transforms"
  [dist]=""
  [models]="dist"
  [metrics]=""
  [losses]="metrics"
  [inference]=""
  [log]="io"
  [train]="io random prep transforms data dist models metrics losses inference log"
  [run]="io random prep transforms data dist models metrics losses inference log train"
)
bad=0
checked=0
for area in "${!allowed[@]}"; do
  for dir in "$root/include/segbench/$area" "$root/src/$area"; do
    [ -d "$dir" ] || continue
    while IFS= read -r line; do
      file=${line%%:*}
      target=$(sed -E 's/.*#include "segbench\/([a-z_0-9]+)\/.*/\1/' <<<"$line")
      checked=$((checked + 1))
      case " $area concepts detail ${allowed[$area]} " in
        *" $target "*) ;;
        *)
          echo "layering: ${file#"$root"/} ($area) includes segbench/$target/"
          bad=$((bad + 1))
          ;;
      esac
    done < <(grep -rHE '#include "segbench/[a-z_0-9]+/' "$dir" || true)
  done
done
for dir in "$root/include/segbench/concepts" "$root/src/concepts"; do
  [ -d "$dir" ] || continue
  if grep -rHE '#include "segbench/[a-z_0-9]+/' "$dir" | grep -v 'segbench/concepts/'; then
    bad=$((bad + 1))
  fi
done
echo "layering: $checked includes checked, $bad outside the core's DAG"
[ "$bad" -eq 0 ]
