#!/usr/bin/env python3
"""Time-to-train campaign: runs one demo N times with different seeds and reports epochs to
target and time to target (run_start -> run_stop in its MLLOG file) over the seeds: mean, min,
max, spread and the olympic mean (best and worst dropped, as MLPerf scores the 3D U-Net).

  campaign.py --demo kits19|deepcam|brats --seeds 5 --out DIR [--build BUILD] [--json FILE]
  campaign.py --collect LOG [LOG ...] [--json FILE]     (summarise existing logs)
  campaign.py --archive CAMPAIGN.json DIR                 (copy its logs to DIR/<demo>/ and
                                                           write DIR/<demo>.json pointing at them)

Each seed runs examples/<demo>_demo.sh with SEGBENCH_DEMO_SEED=<seed> in DIR/<demo>/seed<N>: the
seed draws both the synthetic data and the training, and a seed that misses the target counts as
a failed run (reported, left out of the time statistics). Exit 0 when every run reached its
target, 1 when some did not, 2 on bad use or an unreadable log.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchstats  # noqa: E402
import mllog  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMOS = {  # demo: (script, log path inside the demo's out dir, quality name)
    "kits19": ("kits19_demo.sh", "logs/unet3d.log", "mean Dice"),
    "deepcam": ("deepcam_demo.sh", "logs/deepcam.log", "IoU"),
    "brats": ("brats_demo.sh", "logs/unet2d_brats.log", "mean Dice"),
}


def node_class():
    name = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()}-core CPU ({name})"


TRAIN_LINE = re.compile(r"^epoch\s+(\d+)/\d+ loss ([-+0-9.eE]+|nan)")
EVAL_LINE = re.compile(r"^\s*eval epoch\s+(\d+):.* loss ([-+0-9.eE]+|nan)")


def add_console_losses(summary, console_path):
    """The drivers' MLLOG files carry no per-epoch loss for the 3D U-Net and BraTS (the references
    log none); their progress lines do ("epoch N/M loss X ...", "eval epoch N: ... loss Y"). Fills
    the summary's empty loss series from them."""
    if not os.path.exists(console_path):
        return summary
    found = {"train_loss": [], "eval_loss": []}
    with open(console_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            for key, pattern in (("train_loss", TRAIN_LINE), ("eval_loss", EVAL_LINE)):
                m = pattern.match(line)
                if m:
                    found[key].append((int(m[1]), float(m[2])))
    for key, values in found.items():
        if not summary["series"][key] and values:
            summary["series"][key] = values
    return summary


def statistics(runs):
    """Statistics over the runs that reached the target."""
    ok = [r for r in runs if r["reached"]]
    return {
        "runs": len(runs),
        "reached": len(ok),
        "time_to_target_s": benchstats.summary(r["time_to_target_s"] for r in ok),
        "epochs": benchstats.summary(r["epochs"] for r in ok),
    }


def run_seed(demo, seed, build, out, extra, log=print):
    script, log_rel, _ = DEMOS[demo]
    seed_dir = os.path.join(out, demo, f"seed{seed}")
    os.makedirs(seed_dir, exist_ok=True)
    env = dict(os.environ, SEGBENCH_DEMO_SEED=str(seed))
    # Spinning idle OpenMP threads make a shared machine's runs many times slower.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    start = time.monotonic()
    with open(os.path.join(seed_dir, "demo_stdout.txt"), "w") as stdout:
        code = subprocess.call([os.path.join(ROOT, "examples", script), build, seed_dir] + extra,
                               env=env, stdout=stdout, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    # Keep the logs, drop the generated data (tens of MB per seed).
    for entry in os.listdir(seed_dir):
        path = os.path.join(seed_dir, entry)
        if os.path.isdir(path) and entry != "logs":
            shutil.rmtree(path)
    summary = add_console_losses(mllog.summarise(os.path.join(seed_dir, log_rel)),
                                 os.path.join(seed_dir, "demo_stdout.txt"))
    summary.update({"demo": demo, "campaign_seed": seed, "exit_code": code, "wall_s": wall})
    log(f"  {demo} seed {seed}: {'target reached' if summary['reached'] else 'NOT reached'}, "
        f"{summary['epochs']} epochs, {summary['time_to_target_s']:.1f} s to target, "
        f"last quality {summary['last_quality']}, demo exit {code}, {wall:.0f} s in all")
    return summary


def table(doc):
    s = doc["statistics"]
    t, e = s["time_to_target_s"], s["epochs"]
    if not t.get("n"):
        return f"{doc['demo']}: no run reached the target ({s['runs']} runs)"
    return (f"| demo | runs reaching target | time to target s: mean / olympic / min / max / spread"
            f" | epochs: mean / olympic / min / max |\n|---|---|---|---|\n"
            f"| {doc['demo']} | {s['reached']} of {s['runs']} | {t['mean']:.1f} / "
            f"{t['olympic_mean']:.1f} / {t['min']:.1f} / {t['max']:.1f} / {t['spread']:.1f} "
            f"({100 * t['spread_rel']:.0f} %) | {e['mean']:.1f} / {e['olympic_mean']:.1f} / "
            f"{e['min']} / {e['max']} |")


def seed_list(text):
    if "-" in text:
        a, b = text.split("-", 1)
        return list(range(int(a), int(b) + 1))
    if "," in text:
        return [int(v) for v in text.split(",") if v]
    return list(range(1, int(text) + 1))


def archive(campaign_json, dest):
    """Copies a campaign's MLLOG files next to a copy of its JSON, with relative log paths, so
    that the pair can be committed and reported from anywhere."""
    with open(campaign_json, encoding="utf-8") as f:
        doc = json.load(f)
    folder = os.path.join(dest, doc["demo"])
    os.makedirs(folder, exist_ok=True)
    for run in doc["runs"]:
        # campaigns run before the console losses were read: <seed dir>/demo_stdout.txt
        add_console_losses(run, os.path.join(os.path.dirname(os.path.dirname(run["log"])),
                                             "demo_stdout.txt"))
        name = f"seed{run.get('campaign_seed', run.get('seed'))}.log"
        shutil.copyfile(run["log"], os.path.join(folder, name))
        run["log"] = os.path.join(doc["demo"], name)
    out = os.path.join(dest, f"{doc['demo']}.json")
    with open(f"{out}.tmp{os.getpid()}", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(f"{out}.tmp{os.getpid()}", out)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demo", choices=sorted(DEMOS))
    p.add_argument("--seeds", default="5", help="N (seeds 1..N), A-B or a,b,c")
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--out", help="folder for the runs' logs")
    p.add_argument("--collect", nargs="+", metavar="LOG", help="summarise these MLLOG files")
    p.add_argument("--json", help="write the campaign here")
    p.add_argument("--archive", nargs=2, metavar=("CAMPAIGN_JSON", "DIR"))
    p.add_argument("extra", nargs="*", help="flags passed on to the driver (after --)")
    args = p.parse_args(argv)
    if args.archive:
        try:
            print(f"wrote {archive(*args.archive)}")
        except (OSError, KeyError, json.JSONDecodeError) as e:
            print(f"campaign: --archive {args.archive[0]}: {e}", file=sys.stderr)
            return 2
        return 0
    try:
        if args.collect:
            runs = [mllog.summarise(path) for path in args.collect]
            demo = args.demo or (runs[0]["benchmark"] if runs else "logs")
        else:
            if not args.demo or not args.out:
                p.error("--demo and --out are needed (or --collect LOG...)")
            try:
                seeds = seed_list(args.seeds)
            except ValueError:
                p.error(f"--seeds: expected N, A-B or a,b,c, found '{args.seeds}'")
            if not os.access(os.path.join(args.build, "examples"), os.R_OK):
                print(f"campaign: {args.build}: no built examples/ (./run.sh build)",
                      file=sys.stderr)
                return 2
            demo = args.demo
            print(f"campaign: {demo} demo, seeds {seeds}, {node_class()}", flush=True)
            runs = [run_seed(demo, s, args.build, args.out, args.extra,
                             log=lambda m: print(m, flush=True)) for s in seeds]
    except mllog.LogError as e:
        print(f"campaign: {e}", file=sys.stderr)
        return 2
    doc = {"tool": "campaign", "demo": demo, "node_class": node_class(),
           "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
           "quality": DEMOS.get(demo, (None, None, "quality"))[2],
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "runs": runs, "statistics": statistics(runs)}
    print(table(doc))
    if args.json:
        tmp = f"{args.json}.tmp{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, args.json)
        print(f"wrote {args.json}")
    return 0 if all(r["reached"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
