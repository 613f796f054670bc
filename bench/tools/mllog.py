"""Reads MLPerf-format logs (`:::MLLOG {json}` lines) into the figures a campaign reports."""
import json
import os

PREFIX = ":::MLLOG "


class LogError(ValueError):
    """A log that cannot be read; the message names the file (and line)."""


def events(path):
    """The MLLOG events of a file, in order; other lines are skipped."""
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                at = line.find(PREFIX)
                if at < 0:
                    continue
                try:
                    event = json.loads(line[at + len(PREFIX):])
                except json.JSONDecodeError as e:
                    raise LogError(f"{path}:{number}: not a JSON MLLOG line ({e.msg})") from None
                if not isinstance(event, dict) or "key" not in event:
                    raise LogError(f"{path}:{number}: MLLOG line without a key")
                out.append(event)
    except OSError as e:
        raise LogError(f"{path}: {e.strerror}") from None
    return out


def _epoch(event):
    meta = event.get("metadata") or {}
    return meta.get("epoch_num")


def summarise(path):
    """One run's figures: benchmark, seed, status, time to target (run_start -> run_stop, s),
    epochs, last quality value, and per-epoch series of quality and losses."""
    evs = events(path)
    if not evs:
        raise LogError(f"{path}: no MLLOG lines")
    first = {}
    for e in evs:
        first.setdefault(e["key"], e)
    last = {}
    for e in evs:
        last[e["key"]] = e
    if "run_start" not in first:
        raise LogError(f"{path}: no run_start event")
    start_ms = first["run_start"]["time_ms"]
    stop = last.get("run_stop")
    status = (stop.get("metadata") or {}).get("status") if stop else None
    series = {"eval_accuracy": [], "train_loss": [], "eval_loss": []}
    for e in evs:
        if e["key"] in series and _epoch(e) is not None and e.get("value") is not None:
            series[e["key"]].append((_epoch(e), float(e["value"])))
    epochs = [_epoch(e) for e in evs if e["key"] in ("epoch_stop", "eval_accuracy")
              and _epoch(e) is not None]
    quality = series["eval_accuracy"]
    return {
        "log": os.path.abspath(path),
        "benchmark": first.get("submission_benchmark", {}).get("value"),
        "seed": first.get("seed", {}).get("value"),
        "status": status,
        "reached": status == "success",
        "time_to_target_s": (stop["time_ms"] - start_ms) / 1000.0 if stop else None,
        "epochs": max(epochs) if epochs else None,
        "last_quality": quality[-1][1] if quality else None,
        "series": series,
    }
