#!/bin/bash
# Submits a scaling set: the same run on N, 2N and 4N nodes (each REPEATS times), one task
# per GPU, and prints the job ids in a table.
#
#   scaling.sh -N BASE_NODES -g GPUS_PER_NODE [-r REPEATS] [--dry-run] -- DRIVER [DRIVER ARGS]
#
# DRIVER is a driver name (unet3d_kits19 submits examples/slurm/unet3d_kits19.sbatch when it
# exists, else segbench.sbatch with DRIVER exported) or the path of an sbatch script.
# The job's other settings (DATA_DIR, PRESET, ...) come from the environment, as for
# segbench.sbatch; sbatch's own SBATCH_* variables (e.g. SBATCH_PARTITION) apply as usual.
# SBATCH names the sbatch binary (default: sbatch). --dry-run prints the commands only.
set -euo pipefail

usage() {
  sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}
die() {
  echo "scaling.sh: error: $*" >&2
  echo "usage: scaling.sh -N BASE_NODES -g GPUS_PER_NODE [-r REPEATS] [--dry-run] -- DRIVER [ARGS]" >&2
  exit 2
}
positive() {
  [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 expects a positive integer, found '$2'"
}

base_nodes="" gpus_per_node="" repeats=1 dry_run=0
while [ $# -gt 0 ]; do
  case $1 in
    -N | -g | -r)
      [ $# -ge 2 ] || die "$1 needs a value"
      positive "$1" "$2"
      case $1 in
        -N) base_nodes=$2 ;;
        -g) gpus_per_node=$2 ;;
        -r) repeats=$2 ;;
      esac
      shift 2
      ;;
    --dry-run)
      dry_run=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      break
      ;;
    *) die "unknown option '$1'" ;;
  esac
done
[ -n "$base_nodes" ] || die "-N BASE_NODES is required"
[ -n "$gpus_per_node" ] || die "-g GPUS_PER_NODE is required"
[ $# -ge 1 ] || die "expected '-- DRIVER [ARGS]' after the options"
driver=$1
shift

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export_args=()
if [ -f "$driver" ]; then
  script=$driver
  name=$(basename "$driver" .sbatch)
elif [ -f "$here/$driver.sbatch" ]; then
  script="$here/$driver.sbatch"
  name=$driver
else
  script="$here/segbench.sbatch"
  name=$driver
  export_args=("--export=ALL,DRIVER=$driver")
fi
sbatch_bin=${SBATCH:-sbatch}

rows=()
for scale in 1 2 4; do
  nodes=$((base_nodes * scale))
  for ((repeat = 1; repeat <= repeats; repeat++)); do
    cmd=("$sbatch_bin" "--nodes=$nodes" "--ntasks-per-node=$gpus_per_node"
      "--job-name=$name-n$nodes-r$repeat")
    if [ ${#export_args[@]} -gt 0 ]; then
      cmd+=("${export_args[@]}")
    fi
    cmd+=("$script" "$@")
    if ((dry_run)); then
      printf '%q' "${cmd[0]}"
      printf ' %q' "${cmd[@]:1}"
      echo
      continue
    fi
    out=$("${cmd[@]}") || die "sbatch failed for $nodes nodes (repeat $repeat): $out"
    job=$(sed -n 's/^Submitted batch job \([0-9][0-9]*\).*/\1/p' <<<"$out")
    [ -n "$job" ] || die "expected 'Submitted batch job ID' from sbatch, found '$out'"
    rows+=("$(printf '%6d %10d %6d %7d  %s' "$nodes" "$gpus_per_node" \
      $((nodes * gpus_per_node)) "$repeat" "$job")")
  done
done

if ((!dry_run)); then
  printf '%6s %10s %6s %7s  %s\n' nodes tasks/node tasks repeat job
  printf '%s\n' "${rows[@]}"
fi
