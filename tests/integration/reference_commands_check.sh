#!/usr/bin/env bash
# The seed's command lines in docs/reference/commands/ (unet3d_*, brats_*) through --dry-run:
# each resolves to the reference's values (docs/reference/fidelity.md; the reference command
# lines), and each preset alone resolves to the same configuration as the verbatim command.
# Usage: reference_commands_check.sh UNET3D_KITS19 UNET2D_BRATS
set -euo pipefail
UNET3D=$1 BRATS=$2
CMDS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../docs/reference/commands" && pwd)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-commands.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The resolved configuration (the JSON block before the rank layout), notes left out.
config_of() {
  sed -n '/^rank layout/q;p' "$1" | sed -e '/"notes": \[\]/d' -e '/"notes": \[$/,/^ *\],\{0,1\}$/d'
}
same_config() {  # same_config A B: the two dry runs resolved the same values
  config_of "$1" > "$1.cfg"
  config_of "$2" > "$2.cfg"
  diff "$1.cfg" "$2.cfg" >&2 || fail "$1 and $2 resolve to different configurations"
}

echo "== unet3d baseline (the seed's as-is NREL test)"
DRIVER=$UNET3D SEED=3 expect_exit 0 "$WORK/u3b.txt" "$CMDS/unet3d_baseline.sh" --dry-run
expect_in '"reference_command": "main.py --data_dir ./data --epochs 4000 --evaluate_every 20 --start_eval_at 500 --quality_threshold 0.908 --batch_size 2 --optimizer sgd --ga_steps 1 --learning_rate 0.8 --seed 3 --lr_warmup_epochs 200"' "$WORK/u3b.txt"
expect_in '"preset": "baseline"' "$WORK/u3b.txt"
expect_in '"reference_source": "the seed.s NREL ESIF-HPC-4 as-is test' "$WORK/u3b.txt"
expect_in '"notes": \[\]' "$WORK/u3b.txt"
expect_in "parameters: 31190243" "$WORK/u3b.txt"
expect_exit 0 "$WORK/u3b-preset.txt" "$UNET3D" --seed 3 --dry-run
same_config "$WORK/u3b.txt" "$WORK/u3b-preset.txt"

echo "== unet3d mlcommons (run_and_time.sh)"
DRIVER=$UNET3D SEED=-1 expect_exit 0 "$WORK/u3m.txt" "$CMDS/unet3d_mlcommons.sh" --dry-run
expect_in '"reference_command": "main.py --data_dir /data --epochs 4000 --evaluate_every 20 --start_eval_at 1000 --quality_threshold 0.908 --batch_size 2 --optimizer sgd --ga_steps 1 --learning_rate 0.8 --seed -1 --lr_warmup_epochs 200"' "$WORK/u3m.txt"
expect_in '"reference_source": "mlcommons/training@aa344c7 retired_benchmarks/unet3d/pytorch/run_and_time.sh' "$WORK/u3m.txt"
expect_exit 0 "$WORK/u3m-preset.txt" "$UNET3D" --preset mlcommons --dry-run
same_config "$WORK/u3m.txt" "$WORK/u3m-preset.txt"
# The preset differs from baseline exactly where the two reference commands differ.
config_of "$WORK/u3m-preset.txt" > "$WORK/m.cfg"
config_of "$WORK/u3b-preset.txt" > "$WORK/b.cfg"
[ "$(diff "$WORK/m.cfg" "$WORK/b.cfg" | grep -c '^<')" -eq 6 ] ||
  { diff "$WORK/m.cfg" "$WORK/b.cfg" >&2; fail "mlcommons and baseline differ in more than data_dir, start_eval_at, preset, seed and the provenance"; }

echo "== BraTS training command (HAB, 1 card, fold 0, bf16)"
DRIVER=$BRATS DATA_DIR=/data/01_2d expect_exit 0 "$WORK/bt.txt" "$CMDS/brats_train.sh" --dry-run
for kv in '"preset": "reference"' '"data_dir": "/data/01_2d"' '"fold": 0' '"nfolds": 5' \
  '"seed": 1' '"num_workers": 8' '"norm": "instance"' '"optimizer": "adamw"' \
  '"learning_rate": 0.001' '"weight_decay": 0.0001' '"eps": 1e-08' '"deep_supervision": true' \
  '"batch_size": 64' '"val_batch_size": 64' '"amp": "bf16"' '"early_stopping": true' \
  '"patience": 100' '"min_epochs": 30' '"max_epochs": 10000' '"quality_target": 0.0' \
  '"scheduler": "none"' '"log_dir": "/tmp/Unet/results/fold_0"' '"benchmark": false' \
  '"device": "auto"'; do
  expect_in "$kv" "$WORK/bt.txt"
done
expect_in "parameters: 20616948" "$WORK/bt.txt"
expect_in '"--optimizer fusedadamw: torch AdamW' "$WORK/bt.txt"
expect_in '"--hmp: bf16 autocast' "$WORK/bt.txt"
expect_in '"--hpus 1: no Habana devices' "$WORK/bt.txt"
expect_in '"--affinity disabled: no CPU binding' "$WORK/bt.txt"
expect_in '"--run_lazy_mode ignored' "$WORK/bt.txt"
expect_in '"--hmp-bf16/--hmp-fp32 op lists ignored' "$WORK/bt.txt"
# The preset alone, with the two settings the device flags map (precision, results dir).
expect_exit 0 "$WORK/bt-preset.txt" "$BRATS" --data_dir /data/01_2d --amp bf16 \
  --log_dir /tmp/Unet/results/fold_0 --dry-run
same_config "$WORK/bt.txt" "$WORK/bt-preset.txt"
# The variants: fp32 (no --hmp), fold 2, --hpus 8.
expect_exit 0 "$WORK/bt2.txt" "$BRATS" --fold 2 --data /d --hpus 8 --dry-run
expect_in '"fold": 2' "$WORK/bt2.txt"
expect_in '"amp": "auto"' "$WORK/bt2.txt"
expect_in '"--hpus 8: no Habana devices' "$WORK/bt2.txt"
expect_exit 2 "$WORK/dim3.txt" "$BRATS" --data /d --dim 3 --dry-run
expect_in "\-\-dim 3: only the 2-D nnU-Net" "$WORK/dim3.txt"

echo "== time-to-target: the 0.73 target, a segbench extension, said so"
expect_exit 0 "$WORK/ttt.txt" "$BRATS" --preset time-to-target --data /d --dry-run
expect_in '"quality_target": 0.73' "$WORK/ttt.txt"
expect_in '"early_stopping": false' "$WORK/ttt.txt"
expect_in "a segbench extension" "$WORK/ttt.txt"

echo "== BraTS benchmark variant: resolved, and refused by a run"
DRIVER=$BRATS DATA_DIR=/data/01_2d expect_exit 0 "$WORK/bb.txt" "$CMDS/brats_benchmark.sh" --dry-run
for kv in '"seed": 123' '"num_workers": 1' '"benchmark": true' '"max_epochs": 2' \
  '"min_epochs": 1' '"warmup": 50' '"train_batches": 150' '"test_batches": 150' \
  '"batch_size": 64'; do
  expect_in "$kv" "$WORK/bb.txt"
done
DRIVER=$BRATS DATA_DIR=$WORK/none expect_exit 2 "$WORK/bb-run.txt" "$CMDS/brats_benchmark.sh" \
  --device cpu --threads 1
expect_in "\-\-benchmark: HAB's throughput mode .* is not implemented" "$WORK/bb-run.txt"
echo "PASS"
