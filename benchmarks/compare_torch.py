#!/usr/bin/python3
"""Speed table of issue 5: dcn4j's `vector` backend against torchvision's CPU deform_conv2d and
PyTorch's dense conv2d, all on the same machine in one run.

For each shape N,C,H,W,O (3x3 kernel, padding 1, stride 1, offsets uniform in [-2, 2], no mask,
no bias) it measures, with 2 threads everywhere (torch.set_num_threads(2); dcn4j --threads 2):
  - dcn4j vector forward, backward (all gradients), and forward without offset (plain convolution)
    via `./dcn4j bench ... --json` (median of its timed runs);
  - torchvision.ops.deform_conv2d forward and backward (input, offset and weight gradients;
    only the backward call is timed);
  - torch.nn.functional.conv2d forward (dense convolution of the same shape).
Then it prints the table with the ratios of the goals (>= 20x torchvision forward and backward,
>= 0.5x dense forward speed, i.e. dcn4j time <= 2x dense time) and the peak workspace that dcn4j
reports for batch 1 and batch 32.

Run from anywhere, with the Debian Python that has python3-torchvision:
    /usr/bin/python3 benchmarks/compare_torch.py [--threads 2] [--quick]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torchvision
from torchvision.ops import deform_conv2d

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = [(1, 64, 56, 56, 64), (8, 64, 28, 28, 64), (1, 256, 28, 28, 256), (2, 512, 14, 14, 512)]


def median_ms(fn, iterations, warmup, setup=None):
    """Median wall time of fn() in ms; setup() (untimed) runs before each call when given."""
    for _ in range(warmup):
        arg = setup() if setup else None
        fn(arg) if setup else fn()
    times = []
    for _ in range(iterations):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def torch_numbers(shape, quick):
    n, c, h, w, o = shape
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, c, h, w, generator=g) * 2 - 1
    weight = (torch.rand(o, c, 3, 3, generator=g) * 2 - 1) / (9 * c) ** 0.5
    offset = torch.rand(n, 18, h, w, generator=g) * 4 - 2
    grad = torch.rand(n, o, h, w, generator=g) * 2 - 1
    with torch.no_grad():
        dense = median_ms(lambda: torch.nn.functional.conv2d(x, weight, padding=1), 20, 5)
        tv_fwd = median_ms(lambda: deform_conv2d(x, offset, weight, padding=(1, 1)), 3 if quick else 5, 1)

    def setup():
        xi = x.clone().requires_grad_(True)
        oi = offset.clone().requires_grad_(True)
        wi = weight.clone().requires_grad_(True)
        return deform_conv2d(xi, oi, wi, padding=(1, 1))

    tv_bwd = median_ms(lambda out: out.backward(grad), 3 if quick else 5, 1, setup)
    return dense, tv_fwd, tv_bwd


def dcn4j_bench(shape, threads, extra, quick, warmup=None, iterations=None):
    n, c, h, w, o = shape
    warmup = warmup if warmup is not None else (10 if quick else 20)
    iterations = iterations if iterations is not None else (10 if quick else 20)
    cmd = [os.path.join(ROOT, "dcn4j"), "bench", "--backend", "vector", "--op", "deform_conv2d",
           "--shape", f"{n},{c},{h},{w},{o},3,3", "--padding", "1,1", "--threads", str(threads), "--json",
           "--warmup", str(warmup), "--iterations", str(iterations)] + extra
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit("dcn4j bench failed: " + " ".join(cmd) + "\n" + run.stdout + run.stderr)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, torchvision {torchvision.__version__}, threads {args.threads}, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    rows = []
    for shape in SHAPES:
        label = ",".join(map(str, shape))
        print(f"# measuring {label} ...", file=sys.stderr, flush=True)
        fwd = dcn4j_bench(shape, args.threads, [], args.quick)
        bwd = dcn4j_bench(shape, args.threads, ["--backward"], args.quick)
        plain = dcn4j_bench(shape, args.threads, ["--no-offset"], args.quick)
        dense, tv_fwd, tv_bwd = torch_numbers(shape, args.quick)
        rows.append((label, fwd, bwd, plain, dense, tv_fwd, tv_bwd))

    print()
    print("| shape N,C,H,W,O (3x3, pad 1) | vector fwd ms (GFLOP/s) | torchvision fwd ms | fwd speedup vs tv (goal >= 20x) "
          "| dense conv2d ms | vector vs dense speed (goal >= 0.5x) | vector bwd ms | torchvision bwd ms "
          "| bwd speedup vs tv (goal >= 20x) | vector plain fwd ms | deformable / plain time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    met = True
    for label, fwd, bwd, plain, dense, tv_fwd, tv_bwd in rows:
        f, b, p = fwd["median_ms"], bwd["median_ms"], plain["median_ms"]
        sf, sb, sd = tv_fwd / f, tv_bwd / b, dense / f
        met &= sf >= 20 and sb >= 20 and sd >= 0.5
        print(f"| {label} | {f:.2f} ({fwd['gflops']:.0f}) | {tv_fwd:.1f} | {sf:.1f}x | {dense:.2f} | {sd:.2f}x "
              f"| {b:.2f} | {tv_bwd:.1f} | {sb:.1f}x | {p:.2f} | {f / p:.2f} |")
    print()
    print("goals " + ("met" if met else "NOT all met") + f" (load average now {os.getloadavg()[0]:.2f})")

    # Peak workspace that dcn4j reports (bytes held by one call's scratch arrays) for batch 1 and 32.
    print()
    print("| shape C,H,W,O | pass | workspace batch 1 (MiB) | workspace batch 32 (MiB) |")
    print("|---|---|---|---|")
    for shape in SHAPES:
        _, c, h, w, o = shape
        for extra, name in (([], "forward"), (["--backward"], "backward")):
            ws = []
            for n in (1, 32):
                r = dcn4j_bench((n, c, h, w, o), args.threads, extra + ["--warmup-seconds", "0"], True,
                                warmup=0, iterations=1)
                ws.append(r["workspace_bytes"] / 1048576.0)
            print(f"| {c},{h},{w},{o} | {name} | {ws[0]:.2f} | {ws[1]:.2f} |")


if __name__ == "__main__":
    main()
