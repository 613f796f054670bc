#!/usr/bin/env bash
# The launch scripts under a fake Slurm: srun, sbatch and scontrol are stand-ins in a temp dir
# first on PATH, so nothing contacts a scheduler or the network. The driver runs in --dry-run.
# Usage: slurm_scripts_test.sh UNET3D_KITS19 SOURCE_ROOT
set -euo pipefail
DRIVER_BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$2" && pwd)
SLURM_DIR=$ROOT/examples/slurm
MANIFEST=$ROOT/examples/k8s/mpijob-unet3d.yaml
WORK=$(mktemp -d "${TMPDIR:-/tmp}/segbench-slurm.XXXXXX")
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
expect_in() {
  [ -f "$2" ] || fail "expected '$1' in $2, which does not exist"
  grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }
}
expect_not_in() { ! grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "did not expect '$1' in $2"; }; }
# The line after the line that is exactly $1 in the one-argument-per-line file $2.
arg_after() { sed -n "\\|^$1\$|{n;p;q}" "$2"; }

echo "== bash -n"
for script in "$SLURM_DIR"/*.sbatch "$SLURM_DIR"/*.sh "$0"; do
  bash -n "$script" || fail "syntax error in $script"
done

echo "== fake Slurm"
FAKE=$WORK/bin
export FAKE_SLURM_RECORD=$WORK/record
mkdir -p "$FAKE" "$FAKE_SLURM_RECORD"
cat >"$FAKE/scontrol" <<'FAKE_EOF'
#!/usr/bin/env bash
# Fake scontrol: expands simple host lists, shows a submitted command, records requeues.
echo "$*" >>"$FAKE_SLURM_RECORD/scontrol.log"
case "${1:-} ${2:-}" in
  "show hostnames")
    if [[ ${3:-} =~ ^([^[]+)\[([0-9]+)-([0-9]+)\]$ ]]; then
      first=${BASH_REMATCH[2]} last=${BASH_REMATCH[3]}
      for ((i = 10#$first; i <= 10#$last; i++)); do
        printf '%s%0*d\n' "${BASH_REMATCH[1]}" "${#first}" "$i"
      done
    else
      tr ',' '\n' <<<"${3:-}"
    fi ;;
  "show job") echo "   Command=${FAKE_SUBMITTED_COMMAND:-(null)}" ;;
  requeue*) ;;
  *) echo "fake scontrol: unsupported '$*'" >&2; exit 1 ;;
esac
FAKE_EOF
cat >"$FAKE/srun" <<'FAKE_EOF'
#!/usr/bin/env bash
# Fake srun: records its arguments (one per line), then runs the command once per task of
# SLURM_NTASKS, in parallel, with the per-task variables srun sets; each task's environment and
# output go to task.N.{env,out,err}. FAKE_SRUN_HOLD=1 instead writes the batch shell's pid to
# srun.holding and waits for a signal.
rec=$FAKE_SLURM_RECORD
printf '%s\n' "$@" >"$rec/srun.args"
while [ $# -gt 0 ] && [[ $1 == -* ]]; do shift; done
if [ -n "${FAKE_SRUN_HOLD:-}" ]; then
  # As segbench does: stop at the next iteration, checkpoint, exit 75 ("resume me").
  trap 'echo USR1 >>"$rec/srun.signals"; exit 75' USR1
  echo "$PPID" >"$rec/srun.holding"
  for ((i = 0; i < 300; i++)); do sleep 0.1; done
  exit 1
fi
ntasks=$SLURM_NTASKS nnodes=${SLURM_NNODES:-1}
per_node=$(((ntasks + nnodes - 1) / nnodes))
mapfile -t hosts < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
pids=()
for ((t = 0; t < ntasks; t++)); do
  (
    export SLURM_PROCID=$t SLURM_LOCALID=$((t % per_node)) SLURM_NODEID=$((t / per_node))
    export SLURM_STEP_NODELIST=$SLURM_JOB_NODELIST SLURM_STEP_NUM_NODES=$nnodes
    export SLURM_STEP_NUM_TASKS=$ntasks SLURMD_NODENAME=${hosts[t / per_node]}
    env | grep -E '^(SLURM|SLURMD|MASTER|OMP|NCCL|TORCH_NCCL)_' | sort >"$rec/task.$t.env"
    exec "$@" >"$rec/task.$t.out" 2>"$rec/task.$t.err"
  ) &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
for ((t = 0; t < ntasks; t++)); do sed "s/^/$t: /" "$rec/task.$t.out"; done
exit "$status"
FAKE_EOF
cat >"$FAKE/sbatch" <<'FAKE_EOF'
#!/usr/bin/env bash
# Fake sbatch: records each submission's arguments on one line, answers with a job id.
echo "$*" >>"$FAKE_SLURM_RECORD/sbatch.log"
echo "Submitted batch job $((1000 + $(wc -l <"$FAKE_SLURM_RECORD/sbatch.log")))"
FAKE_EOF
chmod +x "$FAKE"/*
export PATH="$FAKE:$PATH"
for tool in srun sbatch scontrol; do
  [ "$(command -v "$tool")" = "$FAKE/$tool" ] || fail "$tool does not resolve to the fake"
done

SUBMIT=$WORK/submit
mkdir -p "$SUBMIT" "$WORK/data"
# Runs a batch script as Slurm would on the first node of a 2-node, 4-task allocation.
# Extra VAR=value words before the script set or override the job environment.
run_job() {
  (
    unset RANK WORLD_SIZE LOCAL_RANK MASTER_ADDR MASTER_PORT SEED LOG_DIR CKPT DIST SRUN_ARGS \
      DEVICE GPUS_PER_NODE SLURM_GPUS_PER_NODE SLURM_GPUS_PER_TASK SLURM_NTASKS_PER_NODE NCCL_DEBUG \
      TORCH_NCCL_ASYNC_ERROR_HANDLING NCCL_ASYNC_ERROR_HANDLING SEGBENCH_SLURM_DIR OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE PMIX_RANK SLURM_RESTART_COUNT
    export SLURM_JOB_ID=4242 SLURM_NNODES=2 SLURM_NTASKS=4 SLURM_JOB_NODELIST="node[01-02]"
    export SLURM_TASKS_PER_NODE="2(x2)" SLURM_CPUS_PER_TASK=2 SLURM_SUBMIT_DIR=$SUBMIT
    export OMP_NUM_THREADS=1 SEGBENCH_BIN=${DRIVER_BIN%/*} DATA_DIR=$WORK/data
    export PRESET=smoke
    while [[ $1 == *=* ]]; do
      export "${1?}"
      shift
    done
    cd "$SUBMIT"
    exec bash "$@"
  )
}
clear_record() { rm -f "$FAKE_SLURM_RECORD"/*; }

echo "== unet3d_kits19.sbatch: 4 dry-run ranks on 2 nodes"
LOG_DIR=$SUBMIT/logs/4242
run_job "$SLURM_DIR/unet3d_kits19.sbatch" --dry-run >"$WORK/job1.out" 2>&1 ||
  { cat "$WORK/job1.out" >&2; fail "batch script failed"; }
expect_in "2 nodes [node[01-02]], first node node01; 4 tasks (2(x2) per node)" "$WORK/job1.out"
expect_in "master port 24242" "$WORK/job1.out"
[ -d "$LOG_DIR" ] || fail "LOG_DIR $LOG_DIR was not created"
[ -s "$LOG_DIR/seed" ] || fail "no seed file in $LOG_DIR"
seed=$(<"$LOG_DIR/seed")
args=$FAKE_SLURM_RECORD/srun.args
[ "$(sed -n 1p "$args")" = "--kill-on-bad-exit=1" ] || fail "srun not called with --kill-on-bad-exit=1"
[ "$(sed -n 2p "$args")" = "$DRIVER_BIN" ] || fail "srun did not start $DRIVER_BIN: $(sed -n 2p "$args")"
[ "$(arg_after --preset "$args")" = smoke ] || fail "PRESET not passed as --preset"
[ "$(arg_after --data_dir "$args")" = "$WORK/data" ] || fail "DATA_DIR not passed"
[ "$(arg_after --log_dir "$args")" = "$LOG_DIR" ] || fail "default LOG_DIR not passed"
[ "$(arg_after --save_ckpt_path "$args")" = "$LOG_DIR/ckpt.pt" ] || fail "checkpoint path"
[ "$(arg_after --seed "$args")" = "$seed" ] || fail "seed file and --seed differ"
[ "$(tail -1 "$args")" = "--dry-run" ] || fail "extra arguments not passed last"
expect_not_in "--resume" "$args"

for t in 0 1 2 3; do
  env_file=$FAKE_SLURM_RECORD/task.$t.env out=$FAKE_SLURM_RECORD/task.$t.out
  [ -f "$out" ] || fail "task $t did not run"
  for kv in "SLURM_PROCID=$t" "SLURM_LOCALID=$((t % 2))" "SLURM_NODEID=$((t / 2))" \
    SLURM_NTASKS=4 "SLURM_STEP_NODELIST=node[01-02]" "SLURMD_NODENAME=node0$((t / 2 + 1))" \
    MASTER_PORT=24242 OMP_NUM_THREADS=2; do
    grep -qxF -- "$kv" "$env_file" || { cat "$env_file" >&2; fail "task $t: expected $kv"; }
  done
  expect_in "seed: $seed" "$out"
  expect_in "\"data_dir\": \"$WORK/data\"" "$out"
  expect_in "\"load_ckpt_path\": \"\"" "$out"
  # The driver reads the launch environment: each task must see exactly the layout the fake
  # srun gave it, and the rendezvous the batch script exported.
  expect_in "launcher: slurm: rank $t/4 (local $((t % 2))/2) on node0$((t / 2 + 1)), master node01:24242, 2 nodes" "$out"
  [ "$(grep -c '^rank layout: ' "$out")" -eq 1 ] || fail "task $t: expected one rank layout line"
  layout=$(sed -n 's/^rank layout: world \([0-9]*\) (backend [^)]*), this process rank \([0-9]*\) local rank \([0-9]*\)$/\1 \2 \3/p' "$out")
  [ "$layout" = "4 $t $((t % 2))" ] ||
    { cat "$out" >&2; fail "task $t: rank layout '$layout', expected '4 $t $((t % 2))'"; }
done
expect_in "3: rank layout: " "$WORK/job1.out"

echo "== requeued job: resumes from the checkpoint with the same seed"
clear_record
echo "not really a checkpoint" >"$LOG_DIR/ckpt.pt"
run_job "$SLURM_DIR/unet3d_kits19.sbatch" --dry-run >"$WORK/job2.out" 2>&1 ||
  { cat "$WORK/job2.out" >&2; fail "batch script failed on requeue"; }
[ "$(arg_after --resume "$args")" = "$LOG_DIR/ckpt.pt" ] || fail "--resume not passed"
[ "$(arg_after --seed "$args")" = "$seed" ] || fail "requeued job changed its seed"
expect_in "\"load_ckpt_path\": \"$LOG_DIR/ckpt.pt\"" "$FAKE_SLURM_RECORD/task.0.out"

echo "== spool copy of the wrapper, explicit settings"
clear_record
mkdir -p "$WORK/spool"
cp "$SLURM_DIR/unet3d_kits19.sbatch" "$WORK/spool/slurm_script"
run_job FAKE_SUBMITTED_COMMAND="$SLURM_DIR/unet3d_kits19.sbatch" SLURM_JOB_ID=4243 \
  SEED=77 LOG_DIR="$WORK/explicit-logs" DIST=none DEVICE=cpu SRUN_ARGS="--cpu-bind=cores --label" \
  "$WORK/spool/slurm_script" --dry-run >"$WORK/job3.out" 2>&1 ||
  { cat "$WORK/job3.out" >&2; fail "spool copy of the wrapper failed"; }
expect_in "show job 4243" "$FAKE_SLURM_RECORD/scontrol.log"
expect_in "3: rank layout: world 4 (backend none), this process rank 3 local rank 1" "$WORK/job3.out"
expect_in "3: seed: 77" "$WORK/job3.out"
[ "$(sed -n 2,3p "$args" | tr '\n' ' ')" = "--cpu-bind=cores --label " ] || fail "SRUN_ARGS"
[ "$(arg_after --seed "$args")" = 77 ] || fail "SEED not passed"
[ "$(arg_after --dist "$args")" = none ] || fail "DIST not passed as --dist"
[ "$(arg_after --device "$args")" = cpu ] || fail "DEVICE not passed as --device"
expect_in "3: device: cpu" "$WORK/job3.out"
[ "$(<"$WORK/explicit-logs/seed")" = 77 ] || fail "explicit LOG_DIR/seed"

echo "== GPUs: one per task, NCCL environment, CPU path"
expect_in "devices: no GPUs in the allocation: CPU ranks" "$WORK/job1.out"
for kv in TORCH_NCCL_ASYNC_ERROR_HANDLING=1 NCCL_ASYNC_ERROR_HANDLING=1 NCCL_DEBUG=WARN; do
  expect_in "$kv" "$FAKE_SLURM_RECORD/task.3.env"
done
expect_in "devices: CPU ranks (DEVICE=cpu)" "$WORK/job3.out"
expect_not_in "--gpus-per-task" "$args"
clear_record
run_job SLURM_GPUS_PER_NODE=h100:2 SLURM_JOB_ID=4250 NCCL_DEBUG=INFO \
  "$SLURM_DIR/unet3d_kits19.sbatch" --dry-run >"$WORK/gpu1.out" 2>&1 ||
  { cat "$WORK/gpu1.out" >&2; fail "--gpus-per-node job failed"; }
expect_in "devices: 2 GPUs per node, bound one per task (srun --gpus-per-task=1)" "$WORK/gpu1.out"
[ "$(sed -n 2p "$args")" = "--gpus-per-task=1" ] || fail "srun not given --gpus-per-task=1"
[ "$(sed -n 3p "$args")" = "$DRIVER_BIN" ] || fail "driver not after the GPU binding"
expect_in "NCCL_DEBUG=INFO" "$FAKE_SLURM_RECORD/task.0.env"
clear_record
run_job SLURM_GPUS_PER_TASK=1 SLURM_JOB_ID=4251 "$SLURM_DIR/unet3d_kits19.sbatch" --dry-run \
  >"$WORK/gpu2.out" 2>&1 || { cat "$WORK/gpu2.out" >&2; fail "--gpus-per-task job failed"; }
expect_in "devices: one GPU per task (--gpus-per-task=1)" "$WORK/gpu2.out"
expect_not_in "--gpus-per-task" "$args"  # the step inherits the allocation's binding
if run_job GPUS_PER_NODE=4 "$SLURM_DIR/unet3d_kits19.sbatch" >"$WORK/gpu3.out" 2>&1; then
  fail "4 GPUs per node with 2 tasks per node accepted"
fi
expect_in "4 GPUs per node but 2 tasks per node" "$WORK/gpu3.out"
if run_job SLURM_GPUS_PER_TASK=2 "$SLURM_DIR/unet3d_kits19.sbatch" >"$WORK/gpu4.out" 2>&1; then
  fail "--gpus-per-task=2 accepted"
fi
expect_in "submit with --gpus-per-task=1" "$WORK/gpu4.out"

echo "== configuration errors name the setting"
if run_job DATA_DIR= "$SLURM_DIR/unet3d_kits19.sbatch" >"$WORK/err1.out" 2>&1; then
  fail "missing DATA_DIR accepted"
fi
expect_in "DATA_DIR is not set" "$WORK/err1.out"
if run_job SEGBENCH_BIN="$WORK/nowhere" "$SLURM_DIR/unet3d_kits19.sbatch" >"$WORK/err2.out" 2>&1; then
  fail "missing driver accepted"
fi
expect_in "driver '$WORK/nowhere/unet3d_kits19' is not an executable file" "$WORK/err2.out"
if run_job DRIVER=x SLURM_JOB_ID= "$SLURM_DIR/segbench.sbatch" >"$WORK/err3.out" 2>&1; then
  fail "missing SLURM_JOB_ID accepted"
fi
expect_in "submit this script with sbatch" "$WORK/err3.out"

echo "== USR1 before the time limit: forwarded to the step; its exit 75 requeues the job"
for script in "$SLURM_DIR"/*.sbatch; do
  for line in "#SBATCH --signal=B:USR1@120" "#SBATCH --requeue" "#SBATCH --open-mode=append" \
    "#SBATCH --gpus-per-task=1" "#SBATCH --ntasks-per-node="; do
    expect_in "$line" "$script"
  done
done
expect_in "trap on_usr1 USR1" "$SLURM_DIR/segbench.sbatch"
usr1_job() { # $1: job id, then VAR=value words
  clear_record
  local job=$1
  shift
  run_job FAKE_SRUN_HOLD=1 SLURM_JOB_ID="$job" "$@" "$SLURM_DIR/unet3d_kits19.sbatch" \
    >"$WORK/usr1.out" 2>&1 &
  local pid=$! status=0
  for ((i = 0; i < 100; i++)); do
    [ -s "$FAKE_SLURM_RECORD/srun.holding" ] && break
    sleep 0.1
  done
  [ -s "$FAKE_SLURM_RECORD/srun.holding" ] || fail "fake srun never started"
  # As Slurm does with --signal=B:USR1: signal the batch shell only, never the step.
  kill -USR1 "$(<"$FAKE_SLURM_RECORD/srun.holding")"
  wait "$pid" || status=$?
  [ "$status" -eq 75 ] || { cat "$WORK/usr1.out" >&2; fail "expected srun's status 75, found $status"; }
  expect_in USR1 "$FAKE_SLURM_RECORD/srun.signals"
  expect_in "srun exited with status 75" "$WORK/usr1.out"
}
usr1_job 4244
expect_in "requeue 4244" "$FAKE_SLURM_RECORD/scontrol.log"
usr1_job 4245 SLURM_RESTART_COUNT=3 MAX_REQUEUES=3
expect_not_in "requeue" "$FAKE_SLURM_RECORD/scontrol.log"
expect_in "not requeueing: already restarted 3 times" "$WORK/usr1.out"

echo "== scaling.sh"
clear_record
bash "$SLURM_DIR/scaling.sh" --dry-run -N 1 -g 4 -- unet3d_kits19 --epochs 2 >"$WORK/plan.out"
[ "$(grep -c '^sbatch ' "$WORK/plan.out")" -eq 3 ] || { cat "$WORK/plan.out" >&2; fail "expected 3 sbatch commands"; }
[ "$(sed -n 's/.*--nodes=\([0-9]*\) .*/\1/p' "$WORK/plan.out" | tr '\n' ' ')" = "1 2 4 " ] ||
  fail "expected nodes 1 2 4 in $(cat "$WORK/plan.out")"
[ "$(grep -c -- "--ntasks-per-node=4 .*$SLURM_DIR/unet3d_kits19.sbatch --epochs 2\$" "$WORK/plan.out")" -eq 3 ] ||
  fail "each command must use 4 tasks per node, the wrapper and the driver arguments"
[ ! -e "$FAKE_SLURM_RECORD/sbatch.log" ] || fail "--dry-run submitted jobs"

SBATCH=$FAKE/sbatch bash "$SLURM_DIR/scaling.sh" -N 2 -g 8 -- deepcam_climate >"$WORK/table.out"
[ "$(wc -l <"$FAKE_SLURM_RECORD/sbatch.log")" -eq 3 ] || fail "expected 3 submissions"
[ "$(sed -n 's/^--nodes=\([0-9]*\) .*/\1/p' "$FAKE_SLURM_RECORD/sbatch.log" | tr '\n' ' ')" = "2 4 8 " ] ||
  fail "expected submissions on 2 4 8 nodes: $(cat "$FAKE_SLURM_RECORD/sbatch.log")"
expect_in "--export=ALL,DRIVER=deepcam_climate $SLURM_DIR/segbench.sbatch" "$FAKE_SLURM_RECORD/sbatch.log"
for row in "     2          8     16       1  1001" "     4          8     32       1  1002" \
  "     8          8     64       1  1003"; do
  expect_in "$row" "$WORK/table.out"
done
if bash "$SLURM_DIR/scaling.sh" -N 1 -g x -- unet3d_kits19 >"$WORK/bad.out" 2>&1; then
  fail "scaling.sh accepted -g x"
fi
expect_in "-g expects a positive integer, found 'x'" "$WORK/bad.out"

echo "== k8s MPIJob manifest"
if /usr/bin/python3 -c "import yaml" 2>/dev/null; then
  /usr/bin/python3 - "$MANIFEST" <<'PY_EOF'
import sys, yaml
with open(sys.argv[1]) as f:
    job = yaml.safe_load(f)
def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {sys.argv[1]}: {what}")
check(job["apiVersion"] == "kubeflow.org/v2beta1", "apiVersion")
check(job["kind"] == "MPIJob", "kind")
spec = job["spec"]
slots = spec["slotsPerWorker"]
launcher, worker = spec["mpiReplicaSpecs"]["Launcher"], spec["mpiReplicaSpecs"]["Worker"]
check(launcher["replicas"] == 1, "one launcher")
workers = worker["replicas"]
(lc,) = launcher["template"]["spec"]["containers"]
(wc,) = worker["template"]["spec"]["containers"]
cmd = lc["command"] + lc["args"]
check(cmd[0] == "mpirun", f"launcher runs mpirun, found {cmd[0]}")
np = int(cmd[cmd.index("-np") + 1])
check(np == workers * slots, f"-np {np} != Worker replicas {workers} x slotsPerWorker {slots}")
drv = next(i for i, a in enumerate(cmd) if a.endswith("/unet3d_kits19"))
check(cmd[cmd.index("--dist", drv) + 1] == "mpi", "driver runs with --dist mpi")
check(int(wc["resources"]["limits"]["nvidia.com/gpu"]) == slots, "one GPU per slot")
check(lc["image"].startswith("REPLACE_ME") and wc["image"].startswith("REPLACE_ME"),
      "image placeholders marked REPLACE_ME")
claims = [v["persistentVolumeClaim"]["claimName"] for v in worker["template"]["spec"]["volumes"]]
check(claims and all(c.startswith("REPLACE_ME") for c in claims), "PVC placeholders")
mounts = {m["name"] for m in wc["volumeMounts"]}
check(mounts == {v["name"] for v in worker["template"]["spec"]["volumes"]}, "mounts match volumes")
PY_EOF
else
  for needle in "apiVersion: kubeflow.org/v2beta1" "kind: MPIJob" "slotsPerWorker:" "Launcher:" \
    "Worker:" "- mpirun" "- --dist" "- mpi" "claimName: REPLACE_ME" "image: REPLACE_ME"; do
    expect_in "$needle" "$MANIFEST"
  done
  ! grep -q $'\t' "$MANIFEST" || fail "tab in YAML $MANIFEST"
fi

echo "PASS: slurm launch scripts"
