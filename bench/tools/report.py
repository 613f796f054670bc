#!/usr/bin/env python3
"""Markdown report with PNG plots from campaign JSON files (campaign.py, which point at their MLLOG
files), step comparisons (step_compare.py JSON) and weak-scaling output (bench/dist_scaling.sh).

  report.py --out DIR [--campaign C.json ...] [--bench S.json] [--scaling SCALING.txt]
            [--title TEXT]

Writes DIR/report.md and, for what was given: DIR/<demo>_curves.png (quality and loss per epoch,
one line per seed), DIR/time_to_target.png (the seeds' spread per demo), DIR/step_times.png
(Python vs segbench s/step) and DIR/throughput_vs_ranks.png. Plots are drawn with matplotlib.
Exit 2 on an unreadable or malformed input, naming the file.
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchstats  # noqa: E402
from jsonfile import InputError, read_json  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TARGETS = {"kits19": 0.908, "unet3d": 0.908, "deepcam": 0.82, "brats": 0.90}


def load_json(path, tool):
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("tool") != tool:
        raise InputError(f"{path}: not a {tool}.py result (no \"tool\": \"{tool}\")")
    return doc


SCALING_LINE = re.compile(r"world (\d+) \(([^,]+),[^)]*\).*?: ([0-9.]+) s/step, ([0-9.]+) samples/s")


def load_scaling(path):
    """Rank-0 lines of bench/dist_scaling.sh: ranks, backend, s/step, global samples/s."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    rows = [{"ranks": int(m[1]), "backend": m[2], "step_s": float(m[3]),
             "samples_per_s": float(m[4])} for m in SCALING_LINE.finditer(text)]
    if not rows:
        raise InputError(f"{path}: no 'world N (...): X s/step, Y samples/s' lines")
    return rows


def relative(path, out_dir):
    try:
        return os.path.relpath(path, out_dir)
    except ValueError:
        return path


def plot_curves(campaign, out_dir):
    demo = campaign["demo"]
    fig, (ax_q, ax_l) = plt.subplots(1, 2, figsize=(10, 4))
    for i, run in enumerate(campaign["runs"]):
        series = run["series"]
        label = f"seed {run.get('campaign_seed', run.get('seed'))}"
        color = f"C{i % 10}"  # one colour per seed in both panels
        if series["eval_accuracy"]:
            x, y = zip(*series["eval_accuracy"])
            ax_q.plot(x, y, marker=".", linewidth=1, color=color, label=label)
        for key, style in (("train_loss", "-"), ("eval_loss", "--")):
            if series[key]:
                x, y = zip(*series[key])
                ax_l.plot(x, y, style, linewidth=1, color=color,
                          label=label if key == "train_loss" else None)
    target = TARGETS.get(demo)
    if target is not None:
        ax_q.axhline(target, color="black", linestyle=":", label=f"target {target}")
    ax_q.set(title=f"{demo}: {campaign.get('quality', 'quality')} per epoch", xlabel="epoch",
             ylabel=campaign.get("quality", "quality"))
    ax_l.set(title=f"{demo}: loss per epoch (solid: train, dashed: eval)", xlabel="epoch",
             ylabel="loss")
    ax_q.grid(alpha=0.3)
    ax_l.grid(alpha=0.3)
    ax_q.legend(fontsize=7)
    if ax_l.get_legend_handles_labels()[0]:
        ax_l.legend(fontsize=7)
    fig.tight_layout()
    name = f"{demo}_curves.png"
    fig.savefig(os.path.join(out_dir, name), dpi=100)
    plt.close(fig)
    return name


def plot_time_to_target(campaigns, out_dir):
    fig, axes = plt.subplots(1, len(campaigns), figsize=(max(6.0, 3.3 * len(campaigns)), 3.8),
                             squeeze=False)
    for ax, c in zip(axes[0], campaigns):
        times = [r["time_to_target_s"] for r in c["runs"] if r["reached"]]
        missed = [r["time_to_target_s"] for r in c["runs"] if not r["reached"]]
        if times:
            ax.boxplot(times, widths=0.5, showfliers=False,
                       medianprops={"color": "tab:green", "linewidth": 1.5})
            ax.scatter([1 + 0.08 * ((i % 5) - 2) for i in range(len(times))], times, zorder=3,
                       s=18, label="seed reached target")
            ax.axhline(benchstats.olympic_mean(times), color="tab:red", linestyle="--",
                       linewidth=1, label="olympic mean")
            ax.plot([], [], color="tab:green", label="median (box: quartiles)")
        if missed:
            ax.scatter([1.25] * len(missed), missed, marker="x", color="black",
                       label="missed target")
        ax.set(title=f"{c['demo']} ({len(times)} of {len(c['runs'])} reached)",
               ylabel="time to target, s", xticks=[])
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Time to target over seeds (run_start → run_stop)", fontsize=11)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "time_to_target.png"), dpi=100)
    plt.close(fig)
    return "time_to_target.png"


def plot_step_times(bench, out_dir):
    models = list(bench["models"])
    fig, axes = plt.subplots(1, len(models), figsize=(max(6.0, 3.2 * len(models)), 3.6),
                             squeeze=False)
    for ax, model in zip(axes[0], models):
        m = bench["models"][model]
        values = [m["python"]["median_s"], m["segbench"]["median_s"]]
        bars = ax.bar(["Python", "segbench"], values, color=["tab:gray", "tab:blue"])
        for impl, x in (("python", 0), ("segbench", 1)):
            per_run = [benchstats.median(r) for r in m[impl]["step_s"]]
            ax.scatter([x] * len(per_run), per_run, color="black", s=10, zorder=3)
        ax.bar_label(bars, fmt="%.2f", label_type="center", color="white")
        ax.set(title=f"{model}: {m['speedup']:.2f}× faster" if m["speedup"] >= 1
               else f"{model}: {1 / m['speedup']:.2f}× slower", ylabel="s per step")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Training step on the same libtorch, back to back\n(bars: medians; dots: runs)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "step_times.png"), dpi=100)
    plt.close(fig)
    return "step_times.png"


def plot_scaling(rows, out_dir):
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for backend in sorted({r["backend"] for r in rows if r["ranks"] > 1}):
        pts = sorted([r for r in rows if r["backend"] == backend or r["ranks"] == 1],
                     key=lambda r: r["ranks"])
        ax.plot([r["ranks"] for r in pts], [r["samples_per_s"] for r in pts], marker="o",
                label=backend)
    one = [r for r in rows if r["ranks"] == 1]
    if one:
        ranks = sorted({r["ranks"] for r in rows})
        ax.plot(ranks, [one[0]["samples_per_s"] * n for n in ranks], ":", color="gray",
                label="linear")
    ax.set(title="Weak scaling: throughput vs ranks", xlabel="ranks",
           ylabel="global samples/s", xticks=sorted({r["ranks"] for r in rows}))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "throughput_vs_ranks.png"), dpi=100)
    plt.close(fig)
    return "throughput_vs_ranks.png"


def fmt(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def markdown(title, campaigns, bench, scaling, images, out_dir):
    lines = [f"# {title}", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
             "`bench/tools/report.py`.", ""]
    if campaigns:
        lines += ["## Time to target", "",
                  "| demo | node class | runs reaching target | time to target s (mean) | "
                  "olympic mean | min | max | spread | epochs mean (min–max) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in campaigns:
            s = c["statistics"]
            t, e = s["time_to_target_s"], s["epochs"]
            if t.get("n"):
                lines.append(
                    f"| {c['demo']} | {c['node_class']} | {s['reached']} of {s['runs']} | "
                    f"{t['mean']:.1f} | {t['olympic_mean']:.1f} | {t['min']:.1f} | "
                    f"{t['max']:.1f} | {t['spread']:.1f} ({100 * t['spread_rel']:.0f} %) | "
                    f"{e['mean']:.1f} ({e['min']}–{e['max']}) |")
            else:
                lines.append(f"| {c['demo']} | {c['node_class']} | 0 of {s['runs']} | — | — "
                             "| — | — | — | — |")
        lines += ["", "![time to target](time_to_target.png)", ""]
        for c in campaigns:
            lines += [f"### {c['demo']}: the seeds", "",
                      f"| seed | node class | run time s | epochs | last {c['quality']} | "
                      "status | log |", "|---|---|---|---|---|---|---|"]
            for r in c["runs"]:
                lines.append(
                    f"| {r.get('campaign_seed', r.get('seed'))} | {c['node_class']} | "
                    f"{fmt(r['time_to_target_s'])} | {r['epochs']} | "
                    f"{fmt(r['last_quality'], 4)} | {r['status']} | "
                    f"`{relative(r['log'], out_dir)}` |")
            lines += ["", f"![{c['demo']} curves]({c['demo']}_curves.png)", ""]
    if bench:
        lines += ["## Training step: segbench vs the Python reference", "",
                  f"`bench/tools/step_compare.py`, preset `{bench['preset']}`, "
                  f"{bench['repeats']} alternating pairs of {bench['steps']} timed steps, "
                  f"{bench['threads']} threads, {bench['nproc']}-core {bench['cpu']}, "
                  f"OMP_WAIT_POLICY={bench['omp_wait_policy']}, load average "
                  f"{bench['load_before']} before, {bench['load_after']} after.", "",
                  "| model | step | parameters | Python s/step | segbench s/step | "
                  "segbench speed-up (median of pairs, range) |", "|---|---|---|---|---|---|"]
        for model, m in bench["models"].items():
            lines.append(
                f"| {model} | {m['shape']} | {m['params']:,} | {m['python']['median_s']:.3f} | "
                f"{m['segbench']['median_s']:.3f} | {m['speedup']:.2f}× "
                f"({min(m['pair_speedups']):.2f}–{max(m['pair_speedups']):.2f}) |")
        lines += ["", "![step times](step_times.png)", ""]
    if scaling:
        lines += ["## Weak scaling", "", "| ranks | backend | s/step | global samples/s | "
                  "efficiency |", "|---|---|---|---|---|"]
        base = next((r["samples_per_s"] for r in scaling if r["ranks"] == 1), None)
        for r in scaling:
            eff = f"{100 * r['samples_per_s'] / (base * r['ranks']):.0f} %" if base else "—"
            lines.append(f"| {r['ranks']} | {r['backend']} | {r['step_s']:.3f} | "
                         f"{r['samples_per_s']:.2f} | {eff} |")
        lines += ["", "![throughput vs ranks](throughput_vs_ranks.png)", ""]
    return "\n".join(lines)


def write_text_atomically(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--campaign", nargs="*", default=[])
    p.add_argument("--bench")
    p.add_argument("--scaling")
    p.add_argument("--title", default="segbench benchmark report")
    args = p.parse_args(argv)
    if not (args.campaign or args.bench or args.scaling):
        p.error("nothing to report: give --campaign, --bench and/or --scaling")
    try:
        campaigns = [load_json(path, "campaign") for path in args.campaign]
        for path, c in zip(args.campaign, campaigns):
            for r in c.get("runs", []):
                if not os.path.isabs(r["log"]):  # logs stored next to their campaign file
                    r["log"] = os.path.join(os.path.dirname(os.path.abspath(path)), r["log"])
        bench = load_json(args.bench, "step_compare") if args.bench else None
        scaling = load_scaling(args.scaling) if args.scaling else None
    except (InputError, KeyError) as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    images = []
    for c in campaigns:
        images.append(plot_curves(c, args.out))
    if campaigns:
        images.append(plot_time_to_target(campaigns, args.out))
    if bench:
        images.append(plot_step_times(bench, args.out))
    if scaling:
        images.append(plot_scaling(scaling, args.out))
    write_text_atomically(os.path.join(args.out, "report.md"),
                          markdown(args.title, campaigns, bench, scaling, images, args.out))
    print(f"wrote {os.path.join(args.out, 'report.md')} and {', '.join(images)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
