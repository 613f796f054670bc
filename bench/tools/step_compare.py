#!/usr/bin/env python3
"""segbench's training step against the Python reference's, back to back in one run.

For every model, runs build/bench/model_step_bench and bench/baseline/step.py alternately
(REPEATS pairs, the order swapped every pair so drift hits both), each process timing STEPS steps
after one warm-up step. Prints the medians and the C++/Python speed-up (the median of the
per-pair ratios: each pair ran under the same machine load) and writes everything as JSON.
Exit 1 when the two sides disagree on the parameter count (not the same network), 2 on bad use.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchstats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = ("unet3d", "deepcam", "unet2d")
SHAPES = {
    "issue": {"unet3d": "2×1×64³, filters 32–320, SGD Nesterov",
              "deepcam": "1×16×192×288, width 1, Adam",
              "unet2d": "16×4×192×160, deep supervision, AdamW"},
    "small": {"unet3d": "1×1×64³, filters 8–128, SGD Nesterov",
              "deepcam": "1×16×96×144, width 1/4, Adam",
              "unet2d": "4×4×64×64, deep supervision, AdamW"},
    "tiny": {"unet3d": "1×1×64³, filters 4–16, SGD Nesterov",
             "deepcam": "1×16×32×48, width 1/16, Adam",
             "unet2d": "2×4×16×16, deep supervision, AdamW"},
}


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_json(command, env, timeout):
    """Runs one bench process; returns its JSON line (the last line of stdout)."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n"
                           f"{done.stderr[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(command)} printed no JSON:\n{done.stdout[-2000:]}")
    return json.loads(lines[-1])


def compare(build_dir, python, models, preset, repeats, steps, threads, upsample=None,
            timeout=1800, log=print):
    """Runs the pairs; returns the result document (see the module doc)."""
    cpp = os.path.join(build_dir, "bench", "model_step_bench")
    if not os.access(cpp, os.X_OK):
        raise FileNotFoundError(f"{cpp}: not built (ninja -C {build_dir} bench/model_step_bench)")
    step_py = os.path.join(ROOT, "bench", "baseline", "step.py")
    env = dict(os.environ)
    # Idle OpenMP threads that spin steal the cores on a shared machine; same setting both sides.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    doc = {"tool": "step_compare", "preset": preset, "repeats": repeats, "steps": steps,
           "threads": threads, "cpu": cpu_name(), "nproc": os.cpu_count(),
           "omp_wait_policy": env["OMP_WAIT_POLICY"], "started": time.strftime(
               "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_before": load_average(),
           "models": {}}
    for model in models:
        commands = {
            "segbench": [cpp, model, preset, str(steps), str(threads)] +
                        ([upsample] if upsample and model != "deepcam" else []),
            "python": [python, step_py, model, preset, str(steps), str(threads)],
        }
        runs = {"segbench": [], "python": []}
        pair_ratios, params, torch_versions = [], {}, {}
        for r in range(repeats):
            order = ("segbench", "python") if r % 2 == 0 else ("python", "segbench")
            per_run = {}
            for impl in order:
                result = run_json(commands[impl], env, timeout)
                per_run[impl] = benchstats.median(result["step_s"])
                runs[impl].append(result["step_s"])
                params[impl] = result["params"]
                torch_versions[impl] = result["torch"]
                log(f"  {model} repeat {r + 1}/{repeats} {impl:8s}: "
                    f"{per_run[impl]:.3f} s/step (load {load_average()})")
            pair_ratios.append(per_run["python"] / per_run["segbench"])
        if params["segbench"] != params["python"]:
            raise ValueError(f"{model}: segbench has {params['segbench']} parameters, the Python "
                             f"baseline {params['python']}: not the same network")
        medians = {impl: benchstats.median(benchstats.median(r) for r in runs[impl])
                   for impl in runs}
        doc["models"][model] = {
            "shape": SHAPES[preset][model], "params": params["segbench"],
            "torch": torch_versions,
            "segbench": {"step_s": runs["segbench"], "median_s": medians["segbench"]},
            "python": {"step_s": runs["python"], "median_s": medians["python"]},
            "pair_speedups": pair_ratios,
            "speedup": benchstats.median(pair_ratios),
        }
    doc["load_after"] = load_average()
    return doc


def table(doc):
    lines = ["| model | step | parameters | Python s/step | segbench s/step | "
             "segbench speed-up (median, range over pairs) |",
             "|---|---|---|---|---|---|"]
    for model, m in doc["models"].items():
        lo, hi = min(m["pair_speedups"]), max(m["pair_speedups"])
        lines.append(f"| {model} | {m['shape']} | {m['params']:,} | {m['python']['median_s']:.3f} "
                     f"| {m['segbench']['median_s']:.3f} | {m['speedup']:.2f}× "
                     f"({lo:.2f}–{hi:.2f}) |")
    return "\n".join(lines)


def write_json_atomically(path, doc):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the interpreter with the reference's torch (Debian's python3-torch)")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--preset", choices=("issue", "small", "tiny"), default="issue")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--upsample", choices=("fast", "transposed"),
                   help="force the U-Nets' up-sampling path (default: the models' own choice)")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    bad = [m for m in models if m not in MODELS]
    if bad or args.repeats < 1 or args.steps < 1 or args.threads < 1:
        p.error(f"unknown model(s) {bad}" if bad else "repeats, steps, threads must be >= 1")
    print(f"step_compare: preset {args.preset}, {args.repeats} pairs x {args.steps} steps, "
          f"{args.threads} threads, {cpu_name()}", flush=True)
    try:
        doc = compare(args.build, args.python, models, args.preset, args.repeats, args.steps,
                      args.threads, args.upsample, log=lambda s: print(s, flush=True))
    except FileNotFoundError as e:
        print(f"step_compare: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, ValueError) as e:
        print(f"step_compare: {e}", file=sys.stderr)
        return 1
    print(table(doc))
    if args.json:
        write_json_atomically(args.json, doc)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
