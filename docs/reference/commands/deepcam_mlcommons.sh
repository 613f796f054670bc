#!/usr/bin/env bash
# MLCommons HPC deepcam/src/deepCam/run_scripts/run_training.sh (docs/reference/fidelity.md
# §2.4) as segbench runs it: `python ./train.py <flags>` with `python ./train.py` replaced by
# segbench's driver and the shell variables by concrete values. segbench takes the flags
# verbatim; its `mlcommons` preset holds the same values.
#
#   DRIVER=build/examples/deepcam_climate DATA_DIR=/path/cam5 OUTPUT_DIR=/path/out \
#     docs/reference/commands/deepcam_mlcommons.sh
#   docs/reference/commands/deepcam_mlcommons.sh --dry-run     # resolved values, no data needed
#
# Extra arguments are appended (e.g. --dry-run, --device cpu).
#   --seed: the script passes $(date +%s); so does this one.
#   --adam_eps: the reference's parser lacks it (argparse error there, fidelity §2.7); segbench
#     takes it as the optimizer's eps (1e-6, the value the reference hard-codes).
#   --wireup_method dummy: one process without a process group (--dist none).
set -euo pipefail
DRIVER=${DRIVER:-build/examples/deepcam_climate}
DATA_DIR=${DATA_DIR:-/data/deepcam/cam5}
OUTPUT_DIR=${OUTPUT_DIR:-./deepcam-mlcommons-out}
exec "$DRIVER" --wireup_method "dummy" --run_tag test_run \
  --data_dir_prefix "$DATA_DIR" --output_dir "$OUTPUT_DIR" --model_prefix "segmentation" \
  --optimizer "LAMB" --adam_eps 1e-6 --start_lr 0.0055 \
  --lr_schedule type="multistep",milestones="800",decay_rate="0.1" \
  --lr_warmup_steps 400 --lr_warmup_factor 1. --weight_decay 1e-2 \
  --logging_frequency 10 --save_frequency 0 --max_epochs 200 \
  --max_inter_threads 4 --seed "$(date +%s)" --batchnorm_group_size 1 \
  --local_batch_size 2 "$@"
