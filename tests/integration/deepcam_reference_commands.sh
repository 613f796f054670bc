#!/usr/bin/env bash
# The two DeepCAM reference command lines (docs/reference/commands/deepcam_{baseline,mlcommons}.sh,
# the reference's flags verbatim) through the driver's --dry-run: every resolved value must be
# the reference's (docs/reference/fidelity.md §2.4; the values below are the commands' own), the
# matching preset must resolve to the same values, each mapped flag gives one note, and the
# rcp presets derive the local batch from the global one.
# Usage: deepcam_reference_commands.sh DEEPCAM_CLIMATE COMMANDS_DIR
set -euo pipefail
DRIVER=$1 COMMANDS=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-deepcam-commands.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# resolved FILE: the dry run's "resolved: k=v ..." line as one k=v per line.
resolved() {
  grep '^resolved: ' "$1" | sed 's/^resolved: //' | tr ' ' '\n'
}

# expect_values FILE k=v...: each value equal to the resolved one (numbers compared as numbers,
# so 1e-3 matches 0.001; lists compared element-wise).
expect_values() {
  local file=$1 pair key want got
  shift
  resolved "$file" > "$file.kv"
  [ -s "$file.kv" ] || { cat "$file" >&2; fail "no 'resolved:' line in $file"; }
  for pair in "$@"; do
    key=${pair%%=*} want=${pair#*=}
    got=$(grep "^$key=" "$file.kv" | head -1 | cut -d= -f2-) ||
      fail "$file: no resolved value for $key"
    awk -v w="$want" -v g="$got" 'BEGIN {
      n = split(w, a, ","); m = split(g, b, ",")
      if (n != m) exit 1
      for (i = 1; i <= n; i++) {
        if (a[i] ~ /^[-+0-9.eE]+$/ && b[i] ~ /^[-+0-9.eE]+$/) { if (a[i] + 0 != b[i] + 0) exit 1 }
        else if (a[i] != b[i]) exit 1
      }
    }' || fail "$file: $key resolved to '$got', the reference has '$want'"
  done
}

echo "== baseline: the NREL seed command"
DRIVER=$DRIVER bash "$COMMANDS/deepcam_baseline.sh" --dry-run > "$WORK/baseline.out" \
  2> "$WORK/baseline.err" || { cat "$WORK/baseline.err" >&2; fail "baseline command failed"; }
expect_values "$WORK/baseline.out" optimizer=AdamW start_lr=1e-3 lr_schedule=multistep \
  lr_milestones=1200 lr_decay_rate=0.5 lr_warmup_steps=0 weight_decay=1e-2 logging_frequency=0 \
  save_frequency=400 max_epochs=200 local_batch_size=8 max_inter_threads=4 adam_eps=1e-6 \
  gradient_accumulation_frequency=1 batchnorm_group_size=1
# $(( SLURM_NNODES / 8 )) = 0 with 0 warm-up steps: resolved to 1, said once.
expect_values "$WORK/baseline.out" lr_warmup_factor=1
expect_in "lr_warmup_factor: irrelevant with 0 warm-up steps" "$WORK/baseline.out"
expect_in "preset baseline: NREL ESIF-HPC-4 DeepCAM baseline" "$WORK/baseline.out"
[ "$(grep -c 'note: --lr_warmup_factor 0' "$WORK/baseline.err")" -eq 1 ] ||
  { cat "$WORK/baseline.err" >&2; fail "expected one note on --lr_warmup_factor"; }
expect_in "note: --wireup_method nccl-slurm-pmi: --dist auto" "$WORK/baseline.err"
expect_in "note: --model_prefix classifier" "$WORK/baseline.err"
[ "$(wc -l < "$WORK/baseline.err")" -eq 3 ] ||
  { cat "$WORK/baseline.err" >&2; fail "expected exactly three notes"; }
expect_in '"run_tag": "deepcam_baseline"' "$WORK/baseline.out"
# The default preset resolves to the same values.
"$DRIVER" --dry-run > "$WORK/default.out" 2>&1
diff <(resolved "$WORK/baseline.out") <(resolved "$WORK/default.out") ||
  fail "the default preset differs from the baseline command"

echo "== mlcommons: run_training.sh"
DRIVER=$DRIVER bash "$COMMANDS/deepcam_mlcommons.sh" --dry-run > "$WORK/mlc.out" \
  2> "$WORK/mlc.err" || { cat "$WORK/mlc.err" >&2; fail "mlcommons command failed"; }
expect_values "$WORK/mlc.out" optimizer=LAMB adam_eps=1e-6 start_lr=0.0055 lr_schedule=multistep \
  lr_milestones=800 lr_decay_rate=0.1 lr_warmup_steps=400 lr_warmup_factor=1. \
  weight_decay=1e-2 logging_frequency=10 save_frequency=0 max_epochs=200 max_inter_threads=4 \
  batchnorm_group_size=1 local_batch_size=2 gradient_accumulation_frequency=1
seed=$(resolved "$WORK/mlc.out" | grep '^seed=' | cut -d= -f2)
[ "$seed" -gt 1600000000 ] || fail "seed $seed is not \$(date +%s)"
expect_in '"dist": "none"' "$WORK/mlc.out"  # --wireup_method dummy
expect_in "note: --wireup_method dummy: --dist none" "$WORK/mlc.err"
"$DRIVER" --preset mlcommons --dry-run > "$WORK/mlc_preset.out" 2>&1
expect_in "preset mlcommons: MLCommons HPC deepcam/src/deepCam/run_scripts/run_training.sh" \
  "$WORK/mlc_preset.out"
diff <(resolved "$WORK/mlc.out" | grep -v '^seed=') \
  <(resolved "$WORK/mlc_preset.out" | grep -v '^seed=') ||
  fail "the mlcommons preset differs from run_training.sh"

echo "== rcp presets: the global batch is fixed"
RANK=0 WORLD_SIZE=4 "$DRIVER" --preset rcp-128 --dry-run > "$WORK/rcp.out" 2>&1
expect_values "$WORK/rcp.out" optimizer=LAMB start_lr=0.00155 lr_schedule=cosine_annealing \
  lr_t_max=9000 lr_eta_min=0 local_batch_size=32 lr_warmup_steps=0
expect_in "deepcam_ref_128" "$WORK/rcp.out"
RANK=0 WORLD_SIZE=8 "$DRIVER" --preset rcp-2048 --dry-run > "$WORK/rcp2048.out" 2>&1
expect_values "$WORK/rcp2048.out" start_lr=0.0055 lr_milestones=800 lr_warmup_steps=400 \
  local_batch_size=256
expect_exit 2 "$WORK/rcp_bad.txt" env RANK=0 WORLD_SIZE=3 "$DRIVER" --preset rcp-128 --dry-run
expect_in "global batch 128 (preset rcp-128) does not divide into 3 ranks" "$WORK/rcp_bad.txt"

echo "== unknown flags stay errors"
expect_exit 2 "$WORK/unknown.txt" "$DRIVER" --dry-run --lr_shedule type=multistep
expect_in "lr_shedule" "$WORK/unknown.txt"
echo "PASS"
