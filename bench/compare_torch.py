#!/usr/bin/python3
"""Runs DigitNet in PyTorch and in libcnn (cnn-bench) with the same batch sizes, threads and core pinning,
and prints both figures and their ratio.

    bench/compare_torch.py [--threads N] [--cores 0] [--bench build/bin/cnn-bench] [--runs 3]

Needs Debian's python3-torch. Each PyTorch figure is the median of --runs runs; PyTorch inference is measured
eager and as frozen TorchScript (BatchNorm folded into the convolutions), as libcnn's inference is.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from torch_digitnet import DigitNet


def train_rate(batch, iters):
    net = DigitNet().train()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x, y = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    return batch * iters / (time.perf_counter() - t0)


def infer(model, iters):
    one, big = torch.randn(1, 1, 28, 28), torch.randn(256, 1, 28, 28)
    with torch.no_grad():
        for _ in range(50):
            model(one)
        lat = []
        for _ in range(max(200, iters * 20)):
            t0 = time.perf_counter()
            model(one)
            lat.append((time.perf_counter() - t0) * 1e6)
        for _ in range(3):
            model(big)
        t0 = time.perf_counter()
        for _ in range(iters):
            model(big)
        rate = 256 * iters / (time.perf_counter() - t0)
    return statistics.median(lat), rate


def torch_figures(threads, iters):
    torch.set_num_threads(threads)
    eager = DigitNet().eval()
    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.script(DigitNet().eval()))
    p50_eager, rate_eager = infer(eager, iters)
    p50_frozen, rate_frozen = infer(frozen, iters)
    return {"train128": train_rate(128, iters), "train64": train_rate(64, iters), "p50_eager": p50_eager,
            "p50_frozen": p50_frozen, "rate_eager": rate_eager, "rate_frozen": rate_frozen}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cores", default=None, help="CPU list to pin both runs to (default: 0..threads-1)")
    ap.add_argument("--bench", default=os.path.join(os.path.dirname(__file__), "..", "build", "bin", "cnn-bench"))
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(torch_figures(args.threads, args.iters)))
        return
    cores = args.cores or ",".join(str(i) for i in range(args.threads))
    pin = ["taskset", "-c", cores]
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(pin + [sys.executable, __file__, "--child", "--threads", str(args.threads), "--iters",
                                    str(args.iters)], check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    torch_fig = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    lines = subprocess.run(pin + [args.bench, "--threads", str(args.threads), "--iters", str(args.iters)], check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()
    ours = [json.loads(line) for line in lines]
    for line in lines:
        print(line)

    def find(bench, batch):
        return next(o for o in ours if o["bench"] == bench and o["batch"] == batch)

    print(f"\nDigitNet, {args.threads} thread(s) pinned to CPU {cores}; PyTorch {torch.__version__} median of {args.runs} runs")
    print(f"{'measure':34s} {'PyTorch':>12s} {'libcnn':>12s} {'ratio':>8s}")
    rows = [
        ("train batch 128, images/s", torch_fig["train128"], find("train", 128)["images_per_s"], True),
        ("train batch 64, images/s", torch_fig["train64"], find("train", 64)["images_per_s"], True),
        ("infer batch 1 p50 µs (eager)", torch_fig["p50_eager"], find("infer", 1)["latency_us_p50"], False),
        ("infer batch 1 p50 µs (frozen)", torch_fig["p50_frozen"], find("infer", 1)["latency_us_p50"], False),
        ("infer batch 256 images/s (eager)", torch_fig["rate_eager"], find("infer", 256)["images_per_s"], True),
        ("infer batch 256 images/s (frozen)", torch_fig["rate_frozen"], find("infer", 256)["images_per_s"], True),
    ]
    for name, theirs, mine, higher_better in rows:
        ratio = mine / theirs if higher_better else theirs / mine
        print(f"{name:34s} {theirs:12.1f} {mine:12.1f} {ratio:7.2f}x")
    print("(ratio > 1: libcnn is faster)")


if __name__ == "__main__":
    main()
