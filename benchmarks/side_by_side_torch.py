#!/usr/bin/python3
"""PyTorch half of benchmarks/side-by-side.sh: for each shape N,C,H,W,O (3x3, padding 1, stride 1), with
and without mask, prints one JSON line with the medians (ms) of
  - dense_fwd_ms / dense_bwd_ms: torch.nn.functional.conv2d forward, and its backward (input and weight
    gradients; only the backward call is timed), i.e. oneDNN (limit its ISA with DNNL_MAX_CPU_ISA=AVX2);
  - tv_fwd_ms / tv_bwd_ms: torchvision.ops.deform_conv2d forward and backward (all gradients), offsets
    uniform in [-2, 2], mask uniform in [0, 1) when asked.
torch.set_num_threads(THREADS). Usage: side_by_side_torch.py [--threads 2] [--reps 5] [--tv-reps 2]
[--no-torchvision] [--no-dense] [--shapes "1,64,56,56,64;..."]

With --serve it measures dense conv2d one call at a time on request instead, so that SideBySide can interleave
those calls with its own repetitions (benchmarks/README.md, section 4): it reads commands on stdin and answers
each with one line on stdout:
  shape N,C,H,W,O   make the operands (same generator as above)   -> "ok"
  warm SECONDS      forward and backward calls for that long     -> "ok"
  fwd               one dense forward                            -> its ms
  bwd               one dense backward (the call alone is timed) -> its ms
  fwd-warm          an untimed dense forward, then a timed one   -> the second's ms
  bwd-warm          an untimed forward + backward, then bwd      -> the second backward's ms
  quit
The -warm commands are SideBySide's default (--calls warm): every library's timed call then follows an untimed
call of its own, so its threads are awake (on the 2-vCPU VM of the benchmarks a call after 20 ms of idle took up
to twice its back-to-back time, the vCPUs' wake-up; benchmarks/README.md, section 4).
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torchvision.ops import deform_conv2d

SHAPES = "1,64,56,56,64;8,64,28,28,64;1,256,28,28,256;2,512,14,14,512;1,128,100,168,128;1,256,50,84,256;1,512,25,42,512"


def median_ms(fn, reps, warmup, setup=None):
    for _ in range(warmup):
        fn(setup()) if setup else fn()
    times = []
    for _ in range(reps):
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def operands(shape):
    n, c, h, w, o = (int(v) for v in shape.split(","))
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, c, h, w, generator=g) * 2 - 1
    weight = (torch.rand(o, c, 3, 3, generator=g) * 2 - 1) / (9 * c) ** 0.5
    offset = torch.rand(n, 18, h, w, generator=g) * 4 - 2
    maskt = torch.rand(n, 9, h, w, generator=g)
    grad = torch.rand(n, o, h, w, generator=g) * 2 - 1
    return x, weight, offset, maskt, grad


def dense_forward_ms(x, weight):
    with torch.no_grad():
        t0 = time.perf_counter()
        torch.nn.functional.conv2d(x, weight, padding=1)
        return (time.perf_counter() - t0) * 1e3


def dense_backward_ms(x, weight, grad):
    xi = x.clone().requires_grad_(True)
    wi = weight.clone().requires_grad_(True)
    out = torch.nn.functional.conv2d(xi, wi, padding=1)
    t0 = time.perf_counter()
    out.backward(grad)
    return (time.perf_counter() - t0) * 1e3


def serve():
    """The --serve loop: one dense call per request, so the caller decides when (see the module comment)."""
    x = weight = grad = None
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] == "shape":
            x, weight, _, _, grad = operands(cmd[1])
            answer = "ok"
        elif cmd[0] == "warm":
            end = time.perf_counter() + float(cmd[1])
            while time.perf_counter() < end:
                dense_forward_ms(x, weight)
                dense_backward_ms(x, weight, grad)
            answer = "ok"
        elif cmd[0] == "fwd":
            answer = repr(dense_forward_ms(x, weight))
        elif cmd[0] == "bwd":
            answer = repr(dense_backward_ms(x, weight, grad))
        elif cmd[0] == "fwd-warm":
            dense_forward_ms(x, weight)
            answer = repr(dense_forward_ms(x, weight))
        elif cmd[0] == "bwd-warm":
            dense_backward_ms(x, weight, grad)
            answer = repr(dense_backward_ms(x, weight, grad))
        else:
            answer = "error: unknown command " + cmd[0]
        print(answer, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--tv-reps", type=int, default=2)
    p.add_argument("--no-torchvision", action="store_true")
    p.add_argument("--no-dense", action="store_true")
    p.add_argument("--serve", action="store_true")
    p.add_argument("--shapes", default=SHAPES)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"oneDNN ISA: {torch.backends.mkldnn.is_available() and __import__('os').environ.get('DNNL_MAX_CPU_ISA', 'default')}",
          flush=True)
    if a.serve:
        serve()
        return
    for shape in a.shapes.split(";"):
        x, weight, offset, maskt, grad = operands(shape)
        dense = {}
        if not a.no_dense:
            with torch.no_grad():
                dense["dense_fwd_ms"] = median_ms(lambda: torch.nn.functional.conv2d(x, weight, padding=1), a.reps * 2, 3)

            def dense_setup():
                xi = x.clone().requires_grad_(True)
                wi = weight.clone().requires_grad_(True)
                return torch.nn.functional.conv2d(xi, wi, padding=1)

            dense["dense_bwd_ms"] = median_ms(lambda out: out.backward(grad), a.reps, 2, dense_setup)
        for use_mask in (False, True):
            row = {"shape": shape, "mask": use_mask, **dense}
            if not a.no_torchvision:
                m = maskt if use_mask else None
                with torch.no_grad():
                    row["tv_fwd_ms"] = median_ms(lambda: deform_conv2d(x, offset, weight, padding=(1, 1), mask=m),
                                                 a.tv_reps, 1)

                def tv_setup():
                    xi = x.clone().requires_grad_(True)
                    oi = offset.clone().requires_grad_(True)
                    wi = weight.clone().requires_grad_(True)
                    mi = maskt.clone().requires_grad_(True) if use_mask else None
                    return deform_conv2d(xi, oi, wi, padding=(1, 1), mask=mi)

                row["tv_bwd_ms"] = median_ms(lambda out: out.backward(grad), a.tv_reps, 1, tv_setup)
            print(json.dumps(row), flush=True)
            print(f"side-by-side (torch): {row}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
