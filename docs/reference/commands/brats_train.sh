#!/usr/bin/env bash
# The seed document's nnU-Net 2D BraTS training command (Habana Model-References Unet, 1 card,
# fold 0, bf16 mixed precision; fidelity §3.7) as segbench runs it: `python main.py` replaced
# by segbench's driver, the flags verbatim. segbench's `reference` preset (the default) holds
# the same values and stops as the reference does (early stopping on the Dice sum, patience
# 100, at least 30 epochs; no quality target). The Habana device flags map to segbench's
# device and precision settings; the driver prints one note per mapped flag.
# Variants in the same document: without --run_lazy_mode (eager: the same here), without
# --hmp ... (fp32), --fold 2, --hpus 8 (eight processes from the launcher).
#
#   DRIVER=build/examples/unet2d_brats DATA_DIR=/path/01_2d docs/reference/commands/brats_train.sh
#   docs/reference/commands/brats_train.sh --dry-run          # resolved values, no data needed
#
# Extra arguments are appended (e.g. --dry-run, --device cuda).
set -euo pipefail
DRIVER=${DRIVER:-build/examples/unet2d_brats}
DATA_DIR=${DATA_DIR:-/data/01_2d}
exec "$DRIVER" --results /tmp/Unet/results/fold_0 --task 01 --logname res_log \
  --fold 0 --hpus 1 --gpus 0 --data "$DATA_DIR" --seed 1 --num_workers 8 \
  --affinity disabled --norm instance --dim 2 --optimizer fusedadamw \
  --exec_mode train --learning_rate 0.001 --run_lazy_mode \
  --hmp --hmp-bf16 ./config/ops_bf16_unet2d.txt \
  --hmp-fp32 ./config/ops_fp32_unet2d.txt \
  --deep_supervision --batch_size 64 --val_batch_size 64 "$@"
