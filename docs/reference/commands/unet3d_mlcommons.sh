#!/usr/bin/env bash
# MLCommons training retired_benchmarks/unet3d/pytorch/run_and_time.sh (fidelity §1.5) as
# segbench runs it: `python main.py` replaced by segbench's driver, the flags verbatim. Its
# `mlcommons` preset holds the same values. The reference's hard-coded /results directory is
# segbench's --log_dir.
#
#   DRIVER=build/examples/unet3d_kits19 SEED=-1 docs/reference/commands/unet3d_mlcommons.sh \
#     --log_dir /results
#
# Extra arguments are appended (e.g. --dry-run).
set -euo pipefail
DRIVER=${DRIVER:-build/examples/unet3d_kits19}
SEED=${SEED:--1}  # run_and_time.sh: $1, or -1 (random)
exec "$DRIVER" --preset mlcommons --data_dir /data --epochs 4000 --evaluate_every 20 \
  --start_eval_at 1000 --quality_threshold 0.908 --batch_size 2 --optimizer sgd --ga_steps 1 \
  --learning_rate 0.8 --seed "$SEED" --lr_warmup_epochs 200 "$@"
