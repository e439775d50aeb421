#!/usr/bin/python3
"""deform_psroi_pool cases from the NumPy port of the official MXNet kernel.

Writes case directories (see CASE_FORMAT.md) to cases/psroi-port/<name>/:
case.json, input.npy, rois.npy, offset.npy (unless no_trans),
grad_output.npy and expected/{output, grad_input, grad_offset}.npy.
Inputs and expected values are '<f8'; rois are '<f8' or '<f4' (values exactly
representable in float32).

Before writing, the script checks the port (tools/psroi_pool_port.py):
  * forward against an independent, vectorised re-derivation (tent-function
    bilinear over the whole image, numpy broadcasting) on every case;
  * grad_input by the adjoint identity (the op is linear in the input):
    <grad_input, x> == <grad_output, output>, and by a central difference
    along a random direction;
  * grad_offset against central finite differences at every offset entry
    whose perturbation changes no sample's cell, clamp or skip state;
  * that the classic 'floor+1 instead of ceil' backward bug changes the
    expected gradients of the cases (so replaying them catches it).
Deterministic (fixed seeds).  Usage: /usr/bin/python3 tools/make_psroi_cases.py
Needs only NumPy.
"""
import argparse
import json
import math
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import psroi_pool_port as port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------------
# Independent forward (vectorised, tent-function bilinear)
# --------------------------------------------------------------------------
def independent_forward(x, rois, offset, p):
    """DESIGN.md's paragraph re-derived with array code: all samples of all
    bins at once; bilinear(img, h, w) = sum_ij relu(1-|h-i|) relu(1-|w-j|) img[i,j]."""
    N, C, H, W = x.shape
    od, G, P = p['output_dim'], p['group_size'], p['pooled_size']
    S, ps, ts, ss = p['sample_per_part'], p['part_size'], p['trans_std'], p['spatial_scale']
    R = rois.shape[0]
    out = np.zeros((R, od, P, P))
    if R == 0:
        return out
    r = rois.astype(np.float64)
    rnd = np.sign(r[:, 1:5]) * np.floor(np.abs(r[:, 1:5]) + 0.5)  # half away from zero
    # (exact for the small quarter-integer coordinates used here)
    x1, y1, x2, y2 = rnd.T
    sw = x1 * ss - 0.5
    sh = y1 * ss - 0.5
    rw = np.maximum((x2 + 1.0) * ss - 0.5 - sw, 0.1)
    rh = np.maximum((y2 + 1.0) * ss - 0.5 - sh, 0.1)
    bw = rw / P
    bh = rh / P
    nc = 1 if offset is None else offset.shape[1] // 2
    cpc = od // nc
    ph = np.arange(P)
    part = np.floor(ph / P * ps).astype(int)        # official: floor((DType)ph / P * part)
    grp = np.clip(np.floor(ph * G / P).astype(int), 0, G - 1)
    cls = np.arange(od) // cpc
    if offset is None:
        tx = np.zeros((R, od, P, P))
        ty = np.zeros((R, od, P, P))
    else:
        # [R, od, P(ph), P(pw)]
        tx = offset[:, 2 * cls][:, :, part][:, :, :, part] * ts
        ty = offset[:, 2 * cls + 1][:, :, part][:, :, :, part] * ts
    ws = (ph[None, None, None, :] * bw[:, None, None, None] + sw[:, None, None, None]
          + tx * rw[:, None, None, None])
    hs = (ph[None, None, :, None] * bh[:, None, None, None] + sh[:, None, None, None]
          + ty * rh[:, None, None, None])
    i = np.arange(S)
    # samples [R, od, P, P, S(ih), S(iw)]
    wsamp = ws[..., None, None] + i[None, None, None, None, None, :] * (bw / S)[:, None, None, None, None, None]
    hsamp = hs[..., None, None] + i[None, None, None, None, :, None] * (bh / S)[:, None, None, None, None, None]
    full = ws.shape + (S, S)
    wsamp = np.broadcast_to(wsamp, full)
    hsamp = np.broadcast_to(hsamp, full)
    taken = ~((wsamp < -0.5) | (wsamp > W - 0.5) | (hsamp < -0.5) | (hsamp > H - 0.5))
    wc = np.clip(wsamp, 0.0, W - 1.0)
    hc = np.clip(hsamp, 0.0, H - 1.0)
    tent_w = np.maximum(0.0, 1.0 - np.abs(wc[..., None] - np.arange(W)))   # [..., W]
    tent_h = np.maximum(0.0, 1.0 - np.abs(hc[..., None] - np.arange(H)))   # [..., H]
    b = r[:, 0].astype(int)
    chan = (np.arange(od)[:, None, None] * G + grp[None, :, None]) * G + grp[None, None, :]
    imgs = x[b[:, None, None, None], chan[None]]                   # [R, od, P, P, H, W]
    vals = np.einsum('rcpqabh,rcpqabw,rcpqhw->rcpqab', tent_h, tent_w, imgs)
    cnt = taken.sum(axis=(-1, -2))
    s = (vals * taken).sum(axis=(-1, -2))
    out = np.where(cnt > 0, s / np.maximum(cnt, 1), 0.0)
    return out


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
def q(v, step=0.25):
    """Quantise to a multiple of step (exact in float32 for the sizes used)."""
    return np.round(np.asarray(v) / step) * step


def random_rois(rng, R, N, Himg, Wimg, min_size=2.0, margin=0.0):
    rois = np.zeros((R, 5))
    for k in range(R):
        w = rng.uniform(min_size, Wimg * 0.8)
        h = rng.uniform(min_size, Himg * 0.8)
        xa = rng.uniform(-margin, Wimg - w + margin)
        ya = rng.uniform(-margin, Himg - h + margin)
        rois[k] = [rng.integers(0, N), xa, ya, xa + w, ya + h]
    rois[:, 1:] = q(rois[:, 1:])
    return rois


def params(spatial_scale, output_dim, group_size, pooled_size, part_size, sample_per_part,
           trans_std):
    return dict(spatial_scale=spatial_scale, output_dim=output_dim, group_size=group_size,
                pooled_size=pooled_size, part_size=part_size, sample_per_part=sample_per_part,
                trans_std=trans_std)


def build(seed, N, H, W, p, rois, num_classes, rois_dtype='<f8', offset_fn=None):
    """num_classes None -> no_trans."""
    rng = np.random.default_rng(seed)
    C = p['output_dim'] * p['group_size'] ** 2
    x = rng.standard_normal((N, C, H, W))
    rois = np.asarray(rois, dtype=np.float64).reshape(-1, 5)
    assert np.array_equal(rois.astype(np.float32).astype(np.float64), rois) or rois_dtype == '<f8'
    R = rois.shape[0]
    if num_classes is None:
        off = None
    else:
        shape = (R, 2 * num_classes, p['part_size'], p['part_size'])
        off = rng.standard_normal(shape) if offset_fn is None else offset_fn(rng, shape)
    g = rng.standard_normal((R, p['output_dim'], p['pooled_size'], p['pooled_size']))
    return dict(input=x, rois=rois, offset=off, grad_output=g, params=p, rois_dtype=rois_dtype)


def cases():
    out = []
    # 1. PS RoI pooling, 3x3 groups, one class
    p = params(0.25, 2, 3, 3, 3, 2, 0.1)
    out.append(("ps-g3-p3-spp2-basic", build(
        201, 1, 8, 8, p, random_rois(np.random.default_rng(1), 3, 1, 32, 32), 1)))
    # 2. 7x7 groups / bins, two classes, float32 rois, one sample per bin
    p = params(0.125, 2, 7, 7, 7, 1, 0.1)
    out.append(("ps-g7-p7-classes2-f4rois", build(
        202, 1, 5, 5, p, random_rois(np.random.default_rng(2), 2, 1, 40, 40), 2, '<f4')))
    # 3. group 2, pooled 4, part 2 (part cell != bin), 4 classes of 1 channel each
    p = params(0.5, 4, 2, 4, 2, 3, 0.2)
    out.append(("ps-g2-p4-part2-classes4", build(
        203, 1, 6, 7, p, random_rois(np.random.default_rng(3), 2, 1, 12, 14), 4)))
    # 4. group_size 1, output_dim = C: deformable RoI pooling (non-PS), 3 classes
    p = params(0.5, 3, 1, 3, 3, 2, 0.1)
    out.append(("roipool-g1-classes3-f4rois", build(
        204, 1, 6, 6, p, random_rois(np.random.default_rng(4), 3, 1, 12, 12), 3, '<f4')))
    # 5. no_trans, PS 3x3
    p = params(0.25, 2, 3, 3, 3, 2, 0.1)
    out.append(("notrans-ps-g3", build(
        205, 1, 7, 8, p, random_rois(np.random.default_rng(5), 3, 1, 28, 32), None)))
    # 6. no_trans, group 1: plain RoI pooling by sampling
    p = params(1.0, 2, 1, 2, 2, 2, 0.1)
    out.append(("notrans-g1-roipool-f4rois", build(
        206, 1, 5, 6, p, [[0, 0, 0, 5, 4], [0, 1.25, 0.75, 3.5, 2.25], [0, 2, 1, 3, 3]],
        None, '<f4')))
    # 7. tiny RoIs: zero-size (x1 == x2), sub-pixel after scaling (width 0.0625
    #    -> forced to 0.1), one pixel; group_size 3 > pooled_size 2
    p = params(0.0625, 2, 3, 2, 2, 2, 0.1)
    out.append(("tiny-rois", build(
        207, 1, 6, 6, p, [[0, 32, 32, 32, 32], [0, 40, 8, 40.25, 8.25], [0, 16, 48, 31, 63],
                          [0, 0, 0, 0, 0]], 1)))
    # 8. inverted RoIs (x2 < x1 and/or y2 < y1): width/height forced to 0.1;
    #    part_size 3 > pooled_size 2
    p = params(0.25, 2, 2, 2, 3, 3, 0.1)
    out.append(("inverted-rois", build(
        208, 1, 6, 6, p, [[0, 16, 12, 4, 20], [0, 4, 20, 16, 8], [0, 20, 20, 2, 2],
                          [0, 9, 9, 8, 8]], 1)))
    # 9. RoIs touching / crossing the image edge and one entirely outside
    #    (count 0 -> output 0, no gradient); large offsets push samples out
    p = params(0.5, 1, 3, 3, 3, 3, 0.2)
    out.append(("edge-rois", build(
        209, 1, 5, 6, p, [[0, -3, -2, 7, 6], [0, 6, 4, 11, 9], [0, 5, -3, 15, 12],
                          [0, -20, -20, -8, -9], [0, 0, 0, 11, 9]], 1,
        offset_fn=lambda rng, s: rng.standard_normal(s) * 0.7)))
    # 10. corners at exact half-integers: C round() is half away from zero
    #     (2.5 -> 3, -1.5 -> -2, -0.5 -> -1, 0.5 -> 1); half-to-even would differ
    p = params(1.0, 2, 2, 2, 2, 2, 0.1)
    out.append(("half-integer-corners", build(
        210, 1, 6, 7, p, [[0, 2.5, -1.5, 4.5, 3.5], [0, -0.5, 0.5, 5.5, 2.5],
                          [0, 1.5, 1.5, 3.5, 4.5]], 1)))
    # 11. integer sample grid: spatial_scale 0.5 and even corners put every
    #     sample on integer coordinates; trans_std 0.25 with offsets that are
    #     multiples of 1 move by whole pixels.  The official backward uses
    #     ceil (== floor there): slope 0.  floor+1 gives a different answer.
    #     RoI 1 gets x offsets +0.5 (half-pixel x, integer y), RoI 2 gets y
    #     offsets +0.5 (integer x, half-pixel y): one slope 0, the other not.
    def grid_offsets(rng, s):
        o = rng.integers(-2, 3, s).astype(np.float64)
        o[1, 0::2] += 0.5
        o[2, 1::2] += 0.5
        return o
    p = params(0.5, 2, 2, 2, 2, 2, 0.25)
    out.append(("integer-sample-grid", build(
        211, 1, 6, 6, p, [[0, 3, 3, 10, 10], [0, 1, 5, 8, 12], [0, 5, 1, 12, 8]], 1,
        offset_fn=grid_offsets)))
    # 12. empty RoI list
    p = params(0.25, 2, 2, 2, 2, 2, 0.1)
    out.append(("empty-rois", build(212, 1, 4, 4, p, np.zeros((0, 5)), 1)))
    # 13. batch of two images, RoIs on both
    p = params(0.25, 2, 3, 3, 3, 2, 0.1)
    out.append(("batch2-rois-both-images", build(
        213, 2, 6, 6, p, [[1, 2, 3, 17, 20], [0, 0, 0, 23, 23], [1, 8, 6, 14, 12],
                          [0, 5, 9, 18, 13]], 2)))
    # 14. typical head: spatial_scale 1/16, 4 samples per part, 3 classes
    p = params(0.0625, 6, 2, 2, 2, 4, 0.1)
    out.append(("ps-g2-spp4-scale16-classes3", build(
        214, 1, 5, 6, p, random_rois(np.random.default_rng(14), 2, 1, 80, 96, min_size=16), 3,
        '<f4')))
    return out


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
def check_case(name, c, out, gin, goff, stats):
    x, rois, off, g, p = c['input'], c['rois'], c['offset'], c['grad_output'], c['params']
    ind = independent_forward(x, rois, off, p)
    d = float(np.abs(ind - out).max()) if out.size else 0.0
    assert np.allclose(ind, out, rtol=1e-12, atol=1e-12), (name, d)
    stats['fwd'] = max(stats['fwd'], d)
    # adjoint: the op is linear in the input
    a, b = float(np.sum(gin * x)), float(np.sum(g * out))
    assert abs(a - b) <= 1e-11 * (1 + abs(b)), (name, a, b)
    stats['adj'] = max(stats['adj'], abs(a - b))
    rng = np.random.default_rng(99)
    v = rng.standard_normal(x.shape)
    eps = 1e-5
    fp, _ = port.forward(x + eps * v, rois, off, p)
    fm, _ = port.forward(x - eps * v, rois, off, p)
    fd = float(np.sum(g * (fp - fm))) / (2 * eps)
    an = float(np.sum(gin * v))
    assert abs(fd - an) <= 1e-7 * (1 + abs(an)), (name, fd, an)
    stats['gin_fd'] = max(stats['gin_fd'], abs(fd - an))
    if off is None:
        return
    sig0 = port.sample_signature(x.shape, rois, off, p)
    eps = 1e-6
    checked = 0
    for idx in np.ndindex(off.shape):
        op = off.copy()
        om = off.copy()
        op[idx] += eps
        om[idx] -= eps
        if port.sample_signature(x.shape, rois, op, p) != sig0 or \
                port.sample_signature(x.shape, rois, om, p) != sig0:
            stats['off_skipped'] += 1
            continue
        fp, _ = port.forward(x, rois, op, p)
        fm, _ = port.forward(x, rois, om, p)
        fd = float(np.sum(g * (fp - fm))) / (2 * eps)
        err = abs(fd - goff[idx])
        assert err <= 1e-6 * (1 + abs(goff[idx])), (name, idx, fd, goff[idx])
        stats['off_fd'] = max(stats['off_fd'], err)
        checked += 1
    stats['off_checked'] += checked


def save(path, arr, dtype='<f8'):
    np.save(path, np.ascontiguousarray(arr, dtype=dtype))


def write_case(dirpath, c, out, gin, goff):
    os.makedirs(os.path.join(dirpath, 'expected'))
    inputs = {"input": "input.npy", "rois": "rois.npy"}
    save(os.path.join(dirpath, 'input.npy'), c['input'])
    save(os.path.join(dirpath, 'rois.npy'), c['rois'], c['rois_dtype'])
    if c['offset'] is not None:
        inputs["offset"] = "offset.npy"
        save(os.path.join(dirpath, 'offset.npy'), c['offset'])
        save(os.path.join(dirpath, 'expected', 'grad_offset.npy'), goff)
    save(os.path.join(dirpath, 'grad_output.npy'), c['grad_output'])
    save(os.path.join(dirpath, 'expected', 'output.npy'), out)
    save(os.path.join(dirpath, 'expected', 'grad_input.npy'), gin)
    meta = {"op": "deform_psroi_pool", "params": c['params'], "inputs": inputs,
            "grad_output": "grad_output.npy"}
    with open(os.path.join(dirpath, 'case.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'cases', 'psroi-port'))
    args = ap.parse_args()

    # C round vs Python round on the half-integers used by the cases
    for v, e in ((2.5, 3.0), (-1.5, -2.0), (-0.5, -1.0), (0.5, 1.0), (1.5, 2.0), (3.5, 4.0),
                 (0.49999999999999994, 0.0), (-2.4, -2.0)):
        assert port.c_round(v) == e, (v, port.c_round(v))

    stats = dict(fwd=0.0, adj=0.0, gin_fd=0.0, off_fd=0.0, off_checked=0, off_skipped=0)
    results = []
    mutant_caught = []
    for name, c in cases():
        # the port reads rois as float64 of the stored dtype's values
        c['rois'] = c['rois'].astype(c['rois_dtype']).astype(np.float64)
        out, cnt = port.forward(c['input'], c['rois'], c['offset'], c['params'])
        gin, goff = port.backward(c['input'], c['rois'], c['offset'], c['params'],
                                  c['grad_output'])
        check_case(name, c, out, gin, goff, stats)
        mg, mo = port.backward(c['input'], c['rois'], c['offset'], c['params'],
                               c['grad_output'], upper=lambda v: math.floor(v) + 1)
        if not np.allclose(mg, gin, rtol=1e-9, atol=1e-12) or \
                (goff is not None and not np.allclose(mo, goff, rtol=1e-9, atol=1e-12)):
            mutant_caught.append(name)
        results.append((name, c, out, cnt, gin, goff))

    print(f"port forward vs independent re-derivation: max |diff| = {stats['fwd']:.2e}")
    print(f"grad_input adjoint identity: max |<gi,x> - <g,y>| = {stats['adj']:.2e}; "
          f"central difference along a random direction: max err = {stats['gin_fd']:.2e}")
    print(f"grad_offset vs central differences: {stats['off_checked']} entries checked, "
          f"max err = {stats['off_fd']:.2e}; {stats['off_skipped']} skipped "
          f"(a sample crosses a cell edge, clamp or skip edge)")
    assert stats['off_checked'] >= 200, stats
    print(f"floor+1 instead of ceil changes the expected gradients of: {', '.join(mutant_caught)}")
    assert 'integer-sample-grid' in mutant_caught
    # Python's round (half to even) instead of C round changes the output of
    # the half-integer case
    c_round = port.c_round
    try:
        port.c_round = lambda v: float(round(float(v)))
        for name, c, out, *_ in results:
            if name == 'half-integer-corners':
                alt, _ = port.forward(c['input'], c['rois'], c['offset'], c['params'])
                assert not np.allclose(alt, out), name
                print(f"half-to-even rounding changes the output of {name}: "
                      f"max |diff| = {float(np.abs(alt - out).max()):.3f}")
    finally:
        port.c_round = c_round

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    for name, c, out, cnt, gin, goff in results:
        write_case(os.path.join(args.out, name), c, out, gin, goff)
        p = c['params']
        nc = 'no_trans' if c['offset'] is None else f"classes={c['offset'].shape[1] // 2}"
        print(f"{name:30s} input {list(c['input'].shape)} rois {list(c['rois'].shape)} "
              f"{c['rois_dtype']} {nc} G={p['group_size']} P={p['pooled_size']} "
              f"part={p['part_size']} spp={p['sample_per_part']} scale={p['spatial_scale']} "
              f"std={p['trans_std']}; bins with 0 samples: {int((cnt == 0).sum())}/{cnt.size}")
    print(f"wrote {len(results)} cases to {args.out}")


if __name__ == '__main__':
    sys.exit(main())
