#!/bin/bash
# Prepare the CAM5 (DeepCAM) data set across many nodes with MPI: stats.h5 from train/, then
# the HDF5 → .npy conversion of train/ and validation/. Each rank takes every size-th file
# (file i on rank i % size), so the statistics are the same bits whatever the number of ranks
# and jobs; one rank writes stats.h5. An interrupted conversion resubmitted skips the samples
# already converted (outputs are written atomically and checked before being skipped).
#
#   DATA_DIR=/scratch/cam5 OUT_DIR=/scratch/cam5-npy \
#     sbatch --nodes=16 examples/slurm/cam5_prepare.sh
# (a .sh, not a .sbatch: a CPU job, without the GPU and requeue settings the training
# .sbatch scripts share and tests/integration/slurm checks)
#
# Settings (environment):
#   DATA_DIR      directory with train/ and validation/ of data-*.h5 (required)
#   OUT_DIR       conversion output (required); stats.h5 is written to DATA_DIR and copied there
#   SEGBENCH_BIN  directory holding segbench-data (default: <repo>/build/data-tools)
#   JOBS          files per rank at a time (default: the task's CPUs)
#   SKIP_CONVERT  set to 1 to write stats.h5 only
#   VERIFY_ARGS   extra cam5-verify options, e.g. --subset for a part of the real data
#
# Memory: one job holds a 768x1152x16 sample as float32 (57 MB) plus HDF5's buffers; a few
# hundred MB per rank at the default JOBS. The work is I/O bound on parallel file systems:
# more ranks per node than OSTs can serve do not help.
#SBATCH --job-name=cam5-prepare
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --output=%x-%j.out

set -euo pipefail
: "${DATA_DIR:?set DATA_DIR to the CAM5 directory holding train/ and validation/}"
: "${OUT_DIR:?set OUT_DIR to the conversion output directory}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${SEGBENCH_BIN:-$REPO/build/data-tools}
JOBS=${JOBS:-${SLURM_CPUS_PER_TASK:-1}}

echo "cam5-prepare: $SLURM_NTASKS ranks x $JOBS jobs over $DATA_DIR"
srun "$BIN/segbench-data" cam5-stats --data_dir "$DATA_DIR" --jobs "$JOBS"
# Check the set (headers and counts of every file, stats.h5) before spending hours on it.
# shellcheck disable=SC2086
"$BIN/segbench-data" cam5-verify --data_dir "$DATA_DIR" --fast --jobs "$JOBS" ${VERIFY_ARGS:-}
if [ "${SKIP_CONVERT:-0}" != 1 ]; then
  srun "$BIN/segbench-data" cam5-convert --data_dir "$DATA_DIR" --out "$OUT_DIR" --jobs "$JOBS"
fi
