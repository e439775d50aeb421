#!/usr/bin/python3
"""deform_conv2d cases with "border": "dcnv1", from the NumPy port of the
official DCNv1 CUDA kernels (tools/dcnv1_port.py).

Writes case directories (see CASE_FORMAT.md) to cases/dcnv1-port/<name>/:
case.json, input.npy, offset.npy, weight.npy, bias.npy (if any),
grad_output.npy and expected/{output, grad_input, grad_offset, grad_weight,
grad_bias}.npy, all '<f8'.

Before writing, the script checks the port:
  * forward against an independent, vectorised re-derivation of DESIGN.md's
    statement of the rule (0 unless 0 <= p < size; floor(p) >= size-1 reads
    the last row/column as it is);
  * grad_input and grad_weight by the adjoint identities (the op is linear in
    each): <grad_input, x> == <grad_output, output - bias> == <grad_weight, w>;
  * grad_offset against central finite differences at every entry whose
    one-sided differences agree (no jump, cell edge or border within the step);
  * that every case reads samples where torchvision's rule gives another value
    or another offset gradient (so a backend that ignores "border" fails it).
Deterministic (fixed seeds).  Usage: /usr/bin/python3 tools/make_dcnv1_cases.py
Needs only NumPy.
"""
import argparse
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import dcnv1_port as port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------------
# Independent forward (vectorised) under either border rule
# --------------------------------------------------------------------------
def sample_points(x, offset, kh, kw, pads, stride, dilation, dg):
    """py, px of every (n, og, i, j, y, x): [N, dg, kh, kw, Ho, Wo]."""
    N = x.shape[0]
    Ho, Wo = offset.shape[2], offset.shape[3]
    off = offset.reshape(N, dg, kh, kw, 2, Ho, Wo)
    i = np.arange(kh)[None, None, :, None, None, None]
    j = np.arange(kw)[None, None, None, :, None, None]
    y = np.arange(Ho)[None, None, None, None, :, None]
    xx = np.arange(Wo)[None, None, None, None, None, :]
    py = y * stride[0] - pads[0] + i * dilation[0] + off[:, :, :, :, 0]
    px = xx * stride[1] - pads[1] + j * dilation[1] + off[:, :, :, :, 1]
    return py, px


def sample(img, py, px, border):
    """bilinear(img [C', H, W], py, px) for arrays of points: [C', *py.shape]."""
    H, W = img.shape[-2:]
    fy, fx = np.floor(py), np.floor(px)
    if border == 'dcnv1':
        inside = (py >= 0) & (py < H) & (px >= 0) & (px < W)
        ly = np.where(fy >= H - 1, 0.0, py - fy)
        lx = np.where(fx >= W - 1, 0.0, px - fx)
        fy = np.minimum(fy, H - 1)
        fx = np.minimum(fx, W - 1)
    else:
        inside = (py > -1) & (py < H) & (px > -1) & (px < W)
        ly, lx = py - fy, px - fx
    total = 0.0
    for dy, wy in ((0, 1 - ly), (1, ly)):
        for dx, wx in ((0, 1 - lx), (1, lx)):
            yy, xx = fy + dy, fx + dx
            ok = inside & (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
            v = img[:, np.clip(yy, 0, H - 1).astype(int), np.clip(xx, 0, W - 1).astype(int)]
            total = total + np.where(ok, wy * wx, 0.0) * v
    return total


def independent_forward(x, offset, weight, bias, pads, stride, dilation, groups, dg, border):
    N, C, H, W = x.shape
    O, Cg, kh, kw = weight.shape
    py, px = sample_points(x, offset, kh, kw, pads, stride, dilation, dg)
    Ho, Wo = offset.shape[2:]
    cols = np.zeros((N, C, kh, kw, Ho, Wo))
    cpg = C // dg
    for n in range(N):
        for og in range(dg):
            cols[n, og * cpg:(og + 1) * cpg] = sample(x[n, og * cpg:(og + 1) * cpg], py[n, og], px[n, og], border)
    out = np.zeros((N, O, Ho, Wo))
    M = O // groups
    for gr in range(groups):
        out[:, gr * M:(gr + 1) * M] = np.einsum('ocij,ncijyx->noyx', weight[gr * M:(gr + 1) * M],
                                                cols[:, gr * Cg:(gr + 1) * Cg])
    if bias is not None:
        out += bias.reshape(1, O, 1, 1)
    return out


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
def build(seed, N, C, H, W, O, kh, kw, pads=(0, 0, 0, 0), stride=(1, 1), dilation=(1, 1), groups=1,
          dg=1, bias=True, offset_fn=None):
    rng = np.random.default_rng(seed)
    Ho = (H + pads[0] + pads[2] - (dilation[0] * (kh - 1) + 1)) // stride[0] + 1
    Wo = (W + pads[1] + pads[3] - (dilation[1] * (kw - 1) + 1)) // stride[1] + 1
    assert Ho > 0 and Wo > 0
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C // groups, kh, kw)) * 0.5
    b = rng.standard_normal(O) if bias else None
    shape = (N, 2 * dg * kh * kw, Ho, Wo)
    off = rng.uniform(-1.5, 1.5, shape) if offset_fn is None else offset_fn(rng, shape)
    go = rng.standard_normal((N, O, Ho, Wo))
    symmetric = pads[0] == pads[2] and pads[1] == pads[3]
    params = dict(stride=list(stride), padding=list(pads[:2]) if symmetric else list(pads),
                  dilation=list(dilation), groups=groups, offset_groups=dg, border='dcnv1')
    return dict(input=x, offset=off, weight=w, bias=b, grad_output=go, params=params,
                args=dict(pads=pads, stride=stride, dilation=dilation, groups=groups, dg=dg))


def border_bands(rng, shape):
    # samples in torchvision's fading bands (-1, 0) and (H-1, H): where the rules differ
    return rng.choice([-1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75], shape) + rng.uniform(-0.1, 0.1, shape)


def integer_offsets(rng, shape):
    # exact grid points, including exactly -1, 0, H-1 and H (the jumps of the DCNv1 rule)
    return rng.integers(-4, 5, shape).astype(np.float64)


def far_or_near(rng, shape):
    off = rng.uniform(6.0, 20.0, shape) * rng.choice([-1.0, 1.0], shape)
    sel = rng.uniform(size=shape) < 0.5
    off[sel] = rng.uniform(-2.5, 2.5, shape)[sel]
    return off


CASES = [
    ("dcnv1-3x3-pad1-bias", dict(seed=201, N=2, C=3, H=6, W=6, O=4, kh=3, kw=3, pads=(1, 1, 1, 1))),
    ("dcnv1-border-bands", dict(seed=202, N=1, C=2, H=4, W=5, O=2, kh=3, kw=3, pads=(1, 1, 1, 1),
                                offset_fn=border_bands)),
    ("dcnv1-integer-offsets-nobias", dict(seed=203, N=1, C=2, H=4, W=4, O=2, kh=2, kw=2, pads=(1, 1, 1, 1),
                                          bias=False, offset_fn=integer_offsets)),
    ("dcnv1-groups2-dg2-stride2-dilation2", dict(seed=204, N=1, C=4, H=7, W=8, O=4, kh=3, kw=2, pads=(2, 1, 2, 1),
                                                 stride=(2, 1), dilation=(2, 2), groups=2, dg=2)),
    ("dcnv1-far-and-near", dict(seed=205, N=1, C=2, H=5, W=3, O=3, kh=3, kw=3, pads=(1, 1, 1, 1),
                                offset_fn=far_or_near)),
    ("dcnv1-tiny-image-2x1", dict(seed=206, N=2, C=1, H=2, W=1, O=2, kh=2, kw=2, pads=(1, 1, 1, 1),
                                  offset_fn=border_bands)),
    # ONNX's end padding (pads = [top, left, bottom, right]) on top of the official rule: an extension.
    ("dcnv1-onnx-pads-1-0-0-1", dict(seed=207, N=1, C=2, H=5, W=4, O=2, kh=2, kw=2, pads=(1, 0, 0, 1),
                                     offset_fn=border_bands)),
]


def check_case(name, c, out, grads):
    a = c['args']
    x, off, w, b, go = c['input'], c['offset'], c['weight'], c['bias'], c['grad_output']
    ind = independent_forward(x, off, w, b, a['pads'], a['stride'], a['dilation'], a['groups'], a['dg'], 'dcnv1')
    fwd = float(np.abs(out - ind).max())
    assert fwd <= 1e-12, (name, 'forward vs independent', fwd)
    tv = independent_forward(x, off, w, b, a['pads'], a['stride'], a['dilation'], a['groups'], a['dg'],
                             'torchvision')
    differs = float(np.abs(out - tv).max())
    if differs <= 1e-3:
        # At integer coordinates the two rules read the same values; their offset gradients differ
        # (torchvision's right derivative at -1 and H-1 blends with the zero border).
        def tv_loss(o):
            return float((go * independent_forward(x, o, w, b, a['pads'], a['stride'], a['dilation'],
                                                   a['groups'], a['dg'], 'torchvision')).sum())
        l_tv, flat, eps = tv_loss(off), off.ravel(), 1e-7
        for idx in range(flat.size):
            moved = flat.copy()
            moved[idx] += eps
            right = (tv_loss(moved.reshape(off.shape)) - l_tv) / eps
            differs = max(differs, abs(right - grads['grad_offset'].ravel()[idx]))
    assert differs > 1e-3, (name, 'the case does not tell the border rules apart', differs)
    plain = out - (0 if b is None else b.reshape(1, -1, 1, 1))
    lhs = float((go * plain).sum())
    for k, v in (('grad_input', x), ('grad_weight', w)):
        rhs = float((grads[k] * v).sum())
        assert abs(lhs - rhs) <= 1e-10 * (1 + abs(lhs)), (name, k, 'adjoint', lhs, rhs)
    if b is not None:
        assert np.allclose(grads['grad_bias'], go.sum(axis=(0, 2, 3)), rtol=0, atol=1e-12)

    def loss(o):
        return float((go * port.forward(x, o, w, b, a['pads'], a['stride'], a['dilation'], a['groups'],
                                        a['dg'])).sum())

    step, l0 = 1e-6, float((go * out).sum())
    compared = left_out = 0
    worst = 0.0
    flat = off.ravel()
    for idx in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[idx] += step
        minus[idx] -= step
        lp, lm = loss(plus.reshape(off.shape)), loss(minus.reshape(off.shape))
        right, left = (lp - l0) / step, (l0 - lm) / step
        if abs(right - left) > 1e-6 * (abs(right) + abs(left)) + 1e-9:
            left_out += 1  # a jump, cell edge or moved-coordinate kink lies within the step
            continue
        num = (lp - lm) / (2 * step)
        err = abs(num - grads['grad_offset'].ravel()[idx])
        assert err <= 1e-6 * (1 + abs(num)), (name, 'grad_offset', idx, num, grads['grad_offset'].ravel()[idx])
        worst = max(worst, err)
        compared += 1
    assert compared > 0, name
    return fwd, differs, compared, left_out, worst


def save(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype='<f8'))


def write_case(dirpath, c, out, grads):
    os.makedirs(os.path.join(dirpath, 'expected'))
    inputs = {}
    for k in ('input', 'offset', 'weight', 'bias'):
        if c[k] is not None:
            inputs[k] = k + '.npy'
            save(os.path.join(dirpath, k + '.npy'), c[k])
    save(os.path.join(dirpath, 'grad_output.npy'), c['grad_output'])
    save(os.path.join(dirpath, 'expected', 'output.npy'), out)
    for k, v in grads.items():
        save(os.path.join(dirpath, 'expected', k + '.npy'), v)
    meta = {"op": "deform_conv2d", "params": c['params'], "inputs": inputs, "grad_output": "grad_output.npy"}
    with open(os.path.join(dirpath, 'case.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'cases', 'dcnv1-port'))
    args = ap.parse_args()
    results = []
    for name, spec in CASES:
        c = build(**spec)
        a = c['args']
        out = port.forward(c['input'], c['offset'], c['weight'], c['bias'], a['pads'], a['stride'], a['dilation'],
                           a['groups'], a['dg'])
        grads = port.backward(c['input'], c['offset'], c['weight'], c['bias'], a['pads'], a['stride'],
                              a['dilation'], a['groups'], a['dg'], c['grad_output'])
        stats = check_case(name, c, out, grads)
        results.append((name, c, out, grads, stats))
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    for name, c, out, grads, (fwd, differs, compared, left_out, worst) in results:
        write_case(os.path.join(args.out, name), c, out, grads)
        print(f"{name:38s} out {list(out.shape)} {c['params']} |port-independent| {fwd:.1e}, "
              f"max |dcnv1-torchvision| {differs:.2f}, offset FD: {compared} compared "
              f"(worst {worst:.1e}), {left_out} at jumps/kinks")
    print(f"wrote {len(results)} cases to {args.out}")


if __name__ == '__main__':
    sys.exit(main())
