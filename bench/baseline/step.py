#!/usr/bin/env python3
"""One training step of a reference network in PyTorch, timed: zero_grad, forward, loss,
backward, optimiser step (SPEC §1.4-1.5, §2.3-2.4, §3.6-3.7), on random inputs.

Usage: step.py MODEL PRESET STEPS THREADS
  MODEL   unet3d | deepcam | unet2d
  PRESET  issue (the shapes of issue 15's table) | small (the regression suite's) |
          tiny (the test suite's smoke size)
Prints one JSON object: the implementation, parameter count, torch version and the wall time of
every timed step (one untimed warm-up step first). With SEGBENCH_PROFILE=FILE one more step
runs under ATen's profiler and its Chrome trace is written to FILE. bench/model_step_bench.cpp is the C++ twin.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

PRESETS = {
    # model: {preset: settings}
    "unet3d": {"issue": dict(filters=(32, 64, 128, 256, 320), batch=2, size=64),
               "small": dict(filters=(8, 16, 32, 64, 128), batch=1, size=64),
               "tiny": dict(filters=(4, 8, 8, 16, 16), batch=1, size=64)},
    "deepcam": {"issue": dict(width=1.0, batch=1, shape=(192, 288)),
                "small": dict(width=0.25, batch=1, shape=(96, 144)),
                "tiny": dict(width=0.0625, batch=1, shape=(32, 48))},
    "unet2d": {"issue": dict(batch=16, shape=(192, 160)),
               "small": dict(batch=4, shape=(64, 64)),
               "tiny": dict(batch=2, shape=(16, 16))},
}


def build(model, s):
    """Returns (network, optimiser, loss closure) with inputs drawn from a fixed seed."""
    torch.manual_seed(0)
    if model == "unet3d":
        net = models.Unet3D(s["filters"])
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)
        x = torch.randn(s["batch"], 1, s["size"], s["size"], s["size"])
        y = torch.randint(0, 3, (s["batch"], 1, s["size"], s["size"], s["size"]),
                          dtype=torch.uint8)
        return net, opt, lambda: models.dice_ce_loss(net(x), y)
    if model == "deepcam":
        net = models.DeepLabV3Plus(s["width"])
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-6,
                               weight_decay=1e-6)
        x = torch.rand(s["batch"], 16, *s["shape"])
        y = torch.randint(0, 3, (s["batch"], *s["shape"]))
        return net, opt, lambda: models.deepcam_ce_loss(net(x), y)
    net = models.Unet2D(s["shape"])
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=1e-4)
    x = torch.randn(s["batch"], 4, *s["shape"])
    y = torch.randint(0, 4, (s["batch"], 1, *s["shape"]), dtype=torch.uint8)
    return net, opt, lambda: models.deep_supervision_loss(net(x), y)


def main(argv):
    if len(argv) != 5 or argv[1] not in PRESETS or argv[2] not in PRESETS[argv[1]]:
        print(__doc__, file=sys.stderr)
        return 2
    model, preset, steps, threads = argv[1], argv[2], int(argv[3]), int(argv[4])
    torch.set_num_threads(threads)
    net, opt, loss_of = build(model, PRESETS[model][preset])
    net.train()
    times, loss = [], None
    for i in range(steps + 1):
        start = time.perf_counter()
        opt.zero_grad()
        loss = loss_of()
        loss.backward()
        opt.step()
        if i > 0:  # the first step creates oneDNN primitives and allocations: warm-up
            times.append(time.perf_counter() - start)
    trace = os.environ.get("SEGBENCH_PROFILE")
    if trace:
        with torch.autograd.profiler.profile() as prof:
            opt.zero_grad()
            loss_of().backward()
            opt.step()
        prof.export_chrome_trace(trace)
    print(json.dumps({
        "impl": "python", "model": model, "preset": preset, "threads": threads,
        "params": sum(p.numel() for p in net.parameters()),
        "torch": torch.__version__, "loss": float(loss), "step_s": times}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
