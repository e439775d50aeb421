#!/usr/bin/python3
"""Golden deform_conv2d cases with non-finite values, from torchvision (float64).

Checks that torchvision behaves as DESIGN.md "Non-finite values" states, then writes case
directories (CASE_FORMAT.md) to cases/torchvision-nonfinite/<name>/, replayed on every backend by
conformance rule 8 (NaN, +inf, -inf must sit exactly where torchvision has them).

What torchvision's CPU kernel (deform_conv2d_kernel.cpp) does and this script asserts:
  * bilinear_interpolate returns 0 when h <= -1 || h >= H || w <= -1 || w >= W: a +-inf coordinate
    reads 0; a NaN one passes the test and its weights are NaN, so the formula gives NaN, but
    torchvision then indexes the image with floor(NaN) cast to int (undefined behaviour): with one
    NaN coordinate it crashes, with two it reads outside the image and crashes or gives NaN. NaN
    coordinates are therefore checked in a child process (the outcome is printed, not asserted) and
    not generated; dcn4j defines the value NaN (what the formula gives);
  * the four corners are each multiplied by their weight, a zero weight included: an infinite pixel
    gives NaN at the integer samples of its up/left neighbours (0 * inf);
  * the column is mask * value: a non-finite mask on a sample outside the image gives NaN;
  * the GEMM is plain IEEE arithmetic;
  * the input gradient reaches only corners of positive bilinear weight (|y - yp| < 1 in
    deformable_col2im), so an infinite output gradient does not become NaN on zero-weight corners, and
    a NaN sample sends nothing;
  * the offset gradient is mask * slope * column gradient, the slope NaN at a NaN coordinate.
With a +-inf coordinate torchvision's coordinate weight converts floor(inf) to int (undefined
behaviour): its offset gradient is not a reference there, so the +-inf case carries no grad_offset.
dcn4j defines the slopes of a +-inf coordinate as 0 (the sample is constantly 0 there).

Deterministic. Usage (Debian): apt-get install python3-torchvision;
    /usr/bin/python3 tools/make_nonfinite_cases.py [--out DIR]
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from torchvision.ops import deform_conv2d

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAN, INF = float('nan'), float('inf')


def run(x, off, w, b, mask, go, padding=(1, 1)):
    t = lambda a: None if a is None else torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tx, toff, tw, tb, tm = t(x), t(off), t(w), t(b), t(mask)
    out = deform_conv2d(tx, toff, tw, tb, padding=padding, mask=tm)
    out.backward(torch.tensor(go, dtype=torch.float64))
    grads = {'grad_input': tx.grad, 'grad_offset': toff.grad, 'grad_weight': tw.grad}
    if tb is not None:
        grads['grad_bias'] = tb.grad
    if tm is not None:
        grads['grad_mask'] = tm.grad
    return out.detach().numpy(), {k: v.numpy() for k, v in grads.items()}


def check_claims():
    """The statements of the docstring, on a 3x3 image, 1x1 kernel."""
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.full((1, 1, 1, 1), 2.0)
    zero = np.zeros((1, 2, 3, 3))
    ones = np.ones((1, 1, 3, 3))
    go = np.ones((1, 1, 3, 3))
    # +inf coordinate: reads 0
    off = zero.copy(); off[0, 0, 1, 1] = INF
    out, g = run(x, off, w, None, ones, go, padding=(0, 0))
    assert out[0, 0, 1, 1] == 0.0
    # non-finite mask outside the image: NaN
    off = zero.copy(); off[0, 0, 1, 1] = 10.0
    for m in (INF, -INF, NAN):
        mask = ones.copy(); mask[0, 0, 1, 1] = m
        out, g = run(x, off, w, None, mask, go, padding=(0, 0))
        assert math.isnan(out[0, 0, 1, 1])
    # infinite mask inside the image: +-inf (value times mask, not corner weights times mask)
    mask = ones.copy(); mask[0, 0, 1, 1] = INF
    out, g = run(x, zero, w, None, mask, go, padding=(0, 0))
    assert out[0, 0, 1, 1] == INF
    # infinite pixel: NaN at the integer samples of its up/left neighbours (0 * inf)
    xi = x.copy(); xi[0, 0, 1, 1] = INF
    out, g = run(xi, zero, w, None, ones, go, padding=(0, 0))
    assert all(math.isnan(out[0, 0, a, b]) for a, b in ((0, 0), (0, 1), (1, 0)))
    assert out[0, 0, 1, 1] == INF and np.isfinite(out[0, 0, 2, :]).all()
    # infinite output gradient at an integer sample: only the pixel read gets it
    gi = go.copy(); gi[0, 0, 1, 1] = INF
    out, g = run(x, zero, w, None, ones, gi, padding=(0, 0))
    gin = g['grad_input'][0, 0]
    assert gin[1, 1] == INF and np.isfinite(np.delete(gin.ravel(), 4)).all()


def nan_coordinates_claim(axes):
    """NaN in the given offset axes of one sample (run in a child: torchvision may crash)."""
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    off = np.zeros((1, 2, 3, 3))
    for a in axes:
        off[0, a, 1, 1] = NAN
    out, g = run(x, off, np.full((1, 1, 1, 1), 2.0), None, np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)),
                 padding=(0, 0))
    print('value', out[0, 0, 1, 1], 'grad_offset', g['grad_offset'][0, :, 1, 1].tolist(),
          'grad_mask', g['grad_mask'][0, 0, 1, 1], 'grad_input finite', bool(np.isfinite(g['grad_input']).all()))


def report_nan_coordinates():
    for axes, label in (('0', 'dy NaN'), ('1', 'dx NaN'), ('01', 'dy and dx NaN')):
        r = subprocess.run([sys.executable, os.path.abspath(__file__), '--nan-claim', axes],
                           capture_output=True, text=True)
        said = r.stdout.strip() if r.returncode == 0 else 'torchvision crashed (exit %d)' % r.returncode
        print('NaN coordinate (%s): %s' % (label, said))


def f32(a):
    return a.astype(np.float32).astype(np.float64)


def base_case(seed, n=1, c=2, h=5, wd=6, o=2, k=3, mask=True, bias=True):
    rng = np.random.default_rng(seed)
    ho, wo = h, wd  # padding 1, 3x3 kernel, stride 1
    d = dict(
        input=f32(rng.uniform(-1, 1, (n, c, h, wd))),
        offset=f32(rng.uniform(-2, 2, (n, 2 * k * k, ho, wo))),
        weight=f32(rng.uniform(-1, 1, (o, c, k, k))),
        bias=f32(rng.uniform(-1, 1, (o,))) if bias else None,
        mask=f32(rng.uniform(0, 1, (n, k * k, ho, wo))) if mask else None,
        grad_output=f32(rng.uniform(-1, 1, (n, o, ho, wo))),
    )
    return rng, d


def put(rng, a, values, count):
    flat = a.reshape(-1)
    for i in rng.choice(flat.size, count, replace=False):
        flat[i] = values[rng.integers(len(values))]


def cases():
    out = []
    rng, d = base_case(202)
    put(rng, d['offset'], [INF, -INF], 4)
    out.append(("inf-offsets", d, {'grad_offset'}))
    rng, d = base_case(203)
    d['offset'][:, :, ::2, :] += 7.0  # many samples outside the image
    put(rng, d['mask'], [NAN, INF, -INF], 8)
    out.append(("nonfinite-mask-inside-and-outside", d, None))
    rng, d = base_case(204, mask=False)
    d['offset'] = np.round(d['offset'])  # integer samples: zero-weight corners
    put(rng, d['input'], [INF, -INF, NAN], 3)
    out.append(("nonfinite-input-integer-offsets", d, None))
    rng, d = base_case(205)
    put(rng, d['input'], [INF, -INF], 2)
    out.append(("inf-input-fractional-offsets", d, None))
    rng, d = base_case(206, mask=False)
    d['offset'] = np.round(d['offset'])
    put(rng, d['grad_output'], [INF, -INF, NAN], 3)
    out.append(("nonfinite-grad-output-integer-offsets", d, None))
    rng, d = base_case(207, o=3)
    d['weight'][1, 0, 1, 1] = INF
    d['bias'][2] = NAN
    out.append(("nonfinite-weight-and-bias", d, None))
    return out


def save(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype='<f8'))


def write_case(dirpath, d, out, grads):
    os.makedirs(os.path.join(dirpath, 'expected'))
    inputs = {}
    for k in ('input', 'offset', 'weight', 'bias', 'mask'):
        if d[k] is not None:
            inputs[k] = k + '.npy'
            save(os.path.join(dirpath, k + '.npy'), d[k])
    save(os.path.join(dirpath, 'grad_output.npy'), d['grad_output'])
    save(os.path.join(dirpath, 'expected', 'output.npy'), out)
    for k, v in grads.items():
        save(os.path.join(dirpath, 'expected', k + '.npy'), v)
    params = {"stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 1, "offset_groups": 1}
    with open(os.path.join(dirpath, 'case.json'), 'w') as f:
        json.dump({"op": "deform_conv2d", "params": params, "inputs": inputs, "grad_output": "grad_output.npy"},
                  f, indent=2)
        f.write('\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'cases', 'torchvision-nonfinite'))
    ap.add_argument('--nan-claim', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.nan_claim is not None:
        nan_coordinates_claim([int(a) for a in args.nan_claim])
        return
    check_claims()
    report_nan_coordinates()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    for name, d, leave_out in cases():
        out, grads = run(d['input'], d['offset'], d['weight'], d['bias'], d['mask'], d['grad_output'])
        for k in (leave_out or ()):
            del grads[k]
        write_case(os.path.join(args.out, name), d, out, grads)
        kinds = lambda a: (int(np.isnan(a).sum()), int(np.isinf(a).sum()), int(a.size))
        print(name, 'output NaN/inf/size', kinds(out),
              ' '.join('%s %s' % (k, kinds(v)) for k, v in sorted(grads.items())))


if __name__ == '__main__':
    main()
