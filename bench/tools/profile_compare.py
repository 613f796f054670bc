#!/usr/bin/env python3
"""Op-by-op comparison of two ATen profiler Chrome traces of one training step (SEGBENCH_PROFILE
of bench/model_step_bench and bench/baseline/step.py): total time and calls per op name,
largest differences first. Times include the ops' children (the traces nest: convolution ->
mkldnn_convolution), so compare a row with the same row, not rows with each other.

  profile_compare.py SEGBENCH_TRACE PYTHON_TRACE [--top N]
"""
import argparse
import collections
import json
import sys


def totals(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"profile_compare: {path}: {e}")
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    time_us, calls = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            time_us[e["name"]] += float(e["dur"])
            calls[e["name"]] += 1
    return time_us, calls


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("segbench")
    p.add_argument("python")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    (cpp_t, cpp_n), (py_t, py_n) = totals(args.segbench), totals(args.python)
    names = sorted(set(cpp_t) | set(py_t), key=lambda n: -abs(cpp_t[n] - py_t[n]))
    print(f"{'op':48s} {'segbench ms':>12s} {'calls':>6s} {'Python ms':>12s} {'calls':>6s} "
          f"{'diff ms':>9s}")
    for name in names[:args.top]:
        print(f"{name[:48]:48s} {cpp_t[name] / 1e3:12.1f} {cpp_n[name]:6d} "
              f"{py_t[name] / 1e3:12.1f} {py_n[name]:6d} {(cpp_t[name] - py_t[name]) / 1e3:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
