#!/usr/bin/env bash
# The seed document's throughput benchmark variant of the Habana nnU-Net 2D BraTS command
# (--benchmark: 2 epochs of 150 steps, images/s after 50 warm-up steps, no validation).
# segbench resolves it (--dry-run shows the values) but does not implement the benchmark mode:
# a run stops at once with a message saying what is missing (train with --max_epochs instead;
# every epoch line reports images/s).
#
#   docs/reference/commands/brats_benchmark.sh --dry-run
#
# Extra arguments are appended.
set -euo pipefail
DRIVER=${DRIVER:-build/examples/unet2d_brats}
DATA_DIR=${DATA_DIR:-/data/01_2d}
exec "$DRIVER" --results /tmp/Unet/results/fold_0 --task 01 --logname res_log \
  --fold 0 --hpus 1 --gpus 0 --data "$DATA_DIR" --seed 123 --num_workers 1 \
  --affinity disabled --norm instance --dim 2 --optimizer fusedadamw \
  --exec_mode train --learning_rate 0.001 --run_lazy_mode \
  --hmp --hmp-bf16 ./config/ops_bf16_unet2d.txt \
  --hmp-fp32 ./config/ops_fp32_unet2d.txt \
  --deep_supervision --batch_size 64 --val_batch_size 64 \
  --benchmark --max_epochs 2 --min_epochs 1 --warmup 50 --train_batches 150 --test_batches 150 "$@"
