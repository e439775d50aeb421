#!/usr/bin/python3
"""Golden deform_conv2d cases from torchvision (float64).

Writes case directories (see CASE_FORMAT.md) to cases/torchvision/<name>/:
case.json, the inputs, grad_output.npy and expected/{output, grad_input,
grad_offset, grad_weight, grad_bias (with bias), grad_mask (with mask)}.npy,
all '<f8', C order.  Expected values come from torchvision.ops.deform_conv2d
and torch autograd.

Before writing anything the script checks, for every case:
  * torchvision against an independent NumPy implementation of DESIGN.md's
    definition (bilinear with zero-padded corners, right derivative at
    integer coordinates), forward and every gradient, to 1e-12;
and, as a sanity check of torch itself, that zero offsets without mask give
torch.nn.functional.conv2d (to 1e-12) for several configurations.

Deterministic: fixed seeds, NumPy-generated inputs.  Usage (Debian):
    apt-get install python3-torchvision
    /usr/bin/python3 tools/make_golden_cases.py [--out DIR]
"""
import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d

torch.set_num_threads(1)  # deterministic accumulation order

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------------
# Independent NumPy implementation of DESIGN.md's deformable convolution
# --------------------------------------------------------------------------
def _corner(img, yy, xx):
    h, w = img.shape
    if 0 <= yy < h and 0 <= xx < w:
        return img[yy, xx]
    return 0.0


def bilinear_and_slopes(img, py, px):
    """Value, d/dpy, d/dpx of the bilinear blend of the cell
    [floor(p), floor(p)+1], corners outside the image counting as 0.
    This equals DESIGN.md's bilinear() everywhere (the 'py <= -1 || py >= H'
    guard is implied by zero corners) and the slopes are its right
    derivatives."""
    y0 = math.floor(py)
    x0 = math.floor(px)
    ly = py - y0
    lx = px - x0
    v00 = _corner(img, y0, x0)
    v01 = _corner(img, y0, x0 + 1)
    v10 = _corner(img, y0 + 1, x0)
    v11 = _corner(img, y0 + 1, x0 + 1)
    val = (1 - ly) * (1 - lx) * v00 + (1 - ly) * lx * v01 + ly * (1 - lx) * v10 + ly * lx * v11
    dy = (1 - lx) * (v10 - v00) + lx * (v11 - v01)
    dx = (1 - ly) * (v01 - v00) + ly * (v11 - v10)
    return val, dy, dx, (y0, x0, ly, lx)


def numpy_deform_conv2d(x, offset, weight, bias, mask, stride, padding, dilation, grad_out):
    N, C, H, W = x.shape
    O, Cg, kh, kw = weight.shape
    groups = C // Cg
    og_count = offset.shape[1] // (2 * kh * kw)
    Ho, Wo = offset.shape[2], offset.shape[3]
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    Og = O // groups
    cpo = C // og_count
    K = kh * kw
    # columns: sampled (and masked) values, and the raw bilinear values
    col = np.zeros((N, C, K, Ho, Wo))
    raw = np.zeros((N, C, K, Ho, Wo))
    sl_y = np.zeros((N, C, K, Ho, Wo))
    sl_x = np.zeros((N, C, K, Ho, Wo))
    cell = {}
    for n in range(N):
        for c in range(C):
            og = c // cpo
            for i in range(kh):
                for j in range(kw):
                    k = i * kw + j
                    for y in range(Ho):
                        for xx in range(Wo):
                            py = y * sh - ph + i * dh + offset[n, 2 * (og * K + k), y, xx]
                            px = xx * sw - pw + j * dw + offset[n, 2 * (og * K + k) + 1, y, xx]
                            v, gy, gx, cl = bilinear_and_slopes(x[n, c], py, px)
                            m = 1.0 if mask is None else mask[n, og * K + k, y, xx]
                            raw[n, c, k, y, xx] = v
                            col[n, c, k, y, xx] = v * m
                            sl_y[n, c, k, y, xx] = gy * m
                            sl_x[n, c, k, y, xx] = gx * m
                            cell[(n, c, k, y, xx)] = (cl, m)
    out = np.zeros((N, O, Ho, Wo))
    wk = weight.reshape(O, Cg, K)
    for g in range(groups):
        out[:, g * Og:(g + 1) * Og] = np.einsum(
            'ock,nckyx->noyx', wk[g * Og:(g + 1) * Og], col[:, g * Cg:(g + 1) * Cg])
    if bias is not None:
        out += bias[None, :, None, None]
    grads = {}
    # d col
    gcol = np.zeros_like(col)
    gw = np.zeros_like(wk)
    for g in range(groups):
        gcol[:, g * Cg:(g + 1) * Cg] = np.einsum(
            'ock,noyx->nckyx', wk[g * Og:(g + 1) * Og], grad_out[:, g * Og:(g + 1) * Og])
        gw[g * Og:(g + 1) * Og] = np.einsum(
            'noyx,nckyx->ock', grad_out[:, g * Og:(g + 1) * Og], col[:, g * Cg:(g + 1) * Cg])
    grads['grad_weight'] = gw.reshape(weight.shape)
    if bias is not None:
        grads['grad_bias'] = grad_out.sum(axis=(0, 2, 3))
    gin = np.zeros_like(x)
    goff = np.zeros_like(offset)
    gmask = None if mask is None else np.zeros_like(mask)
    for (n, c, k, y, xx), ((y0, x0, ly, lx), m) in cell.items():
        gc = gcol[n, c, k, y, xx]
        for yy, xw, wgt in ((y0, x0, (1 - ly) * (1 - lx)), (y0, x0 + 1, (1 - ly) * lx),
                            (y0 + 1, x0, ly * (1 - lx)), (y0 + 1, x0 + 1, ly * lx)):
            if 0 <= yy < H and 0 <= xw < W:
                gin[n, c, yy, xw] += wgt * m * gc
        og = c // cpo
        goff[n, 2 * (og * K + k), y, xx] += sl_y[n, c, k, y, xx] * gc
        goff[n, 2 * (og * K + k) + 1, y, xx] += sl_x[n, c, k, y, xx] * gc
        if gmask is not None:
            gmask[n, og * K + k, y, xx] += raw[n, c, k, y, xx] * gc
    grads['grad_input'] = gin
    grads['grad_offset'] = goff
    if gmask is not None:
        grads['grad_mask'] = gmask
    return out, grads


# --------------------------------------------------------------------------
# torchvision
# --------------------------------------------------------------------------
def torch_run(x, offset, weight, bias, mask, stride, padding, dilation, grad_out):
    t = {k: (None if v is None else torch.tensor(v, dtype=torch.float64, requires_grad=True))
         for k, v in dict(input=x, offset=offset, weight=weight, bias=bias, mask=mask).items()}
    out = deform_conv2d(t['input'], t['offset'], t['weight'], t['bias'],
                        stride=tuple(stride), padding=tuple(padding), dilation=tuple(dilation),
                        mask=t['mask'])
    out.backward(torch.tensor(grad_out, dtype=torch.float64))
    grads = {}
    for k, v in t.items():
        if v is not None:
            g = v.grad
            grads['grad_' + k] = (np.zeros(v.shape) if g is None else g.detach().numpy().copy())
    return out.detach().numpy().copy(), grads


def sanity_conv2d():
    """Zero offsets, no mask == torch.nn.functional.conv2d (to 1e-12)."""
    rng = np.random.default_rng(12345)
    configs = [
        # N, C, H, W, O, kh, kw, stride, padding, dilation, groups, offset_groups
        (2, 3, 7, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1, 1),
        (1, 4, 9, 8, 6, 3, 2, (2, 1), (1, 0), (2, 3), 2, 2),
        (2, 6, 5, 5, 3, 1, 1, (3, 3), (0, 0), (1, 1), 3, 1),
        (1, 8, 6, 7, 4, 2, 3, (1, 2), (2, 1), (1, 1), 4, 8),
    ]
    worst = 0.0
    for (N, C, H, W, O, kh, kw, s, p, d, g, og) in configs:
        x = torch.tensor(rng.standard_normal((N, C, H, W)))
        w = torch.tensor(rng.standard_normal((O, C // g, kh, kw)))
        b = torch.tensor(rng.standard_normal(O))
        Ho = (H + 2 * p[0] - (d[0] * (kh - 1) + 1)) // s[0] + 1
        Wo = (W + 2 * p[1] - (d[1] * (kw - 1) + 1)) // s[1] + 1
        off = torch.zeros((N, 2 * og * kh * kw, Ho, Wo), dtype=torch.float64)
        a = deform_conv2d(x, off, w, b, stride=s, padding=p, dilation=d)
        e = F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        assert a.shape == e.shape, (a.shape, e.shape)
        assert torch.allclose(a, e, rtol=1e-12, atol=1e-12), (a - e).abs().max()
        worst = max(worst, float((a - e).abs().max()))
    print(f"sanity: zero offsets == F.conv2d for {len(configs)} configs, max |diff| = {worst:.3e}")


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
def out_size(H, W, kh, kw, s, p, d):
    return ((H + 2 * p[0] - (d[0] * (kh - 1) + 1)) // s[0] + 1,
            (W + 2 * p[1] - (d[1] * (kw - 1) + 1)) // s[1] + 1)


def make_case(seed, N, C, H, W, O, kh, kw, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
              groups=1, offset_groups=1, bias=True, mask=False, offset_fn=None, offset_scale=1.5):
    rng = np.random.default_rng(seed)
    Ho, Wo = out_size(H, W, kh, kw, stride, padding, dilation)
    assert Ho > 0 and Wo > 0
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C // groups, kh, kw)) * 0.5
    b = rng.standard_normal(O) if bias else None
    off_shape = (N, 2 * offset_groups * kh * kw, Ho, Wo)
    if offset_fn is None:
        off = rng.uniform(-offset_scale, offset_scale, off_shape)
    else:
        off = offset_fn(rng, off_shape)
    m = rng.uniform(0.0, 1.0, (N, offset_groups * kh * kw, Ho, Wo)) if mask else None
    g = rng.standard_normal((N, O, Ho, Wo))
    return dict(input=x, offset=off, weight=w, bias=b, mask=m, grad_output=g,
                params=dict(stride=list(stride), padding=list(padding), dilation=list(dilation),
                            groups=groups, offset_groups=offset_groups))


def far_offsets(rng, shape):
    # mostly far outside (|offset| 8..40, beyond every edge), some straddling
    # the border band (-1.5..0.5 from an edge), a few inside
    off = rng.uniform(8.0, 40.0, shape) * rng.choice([-1.0, 1.0], shape)
    sel = rng.uniform(size=shape) < 0.3
    off[sel] = rng.uniform(-3.0, 3.0, shape)[sel]
    return off


def integer_offsets(rng, shape):
    # exact integers in [-4, 4]: every sample lands on an integer grid point,
    # including exactly -1 and exactly H/W (outside, value 0, but with a
    # non-zero right derivative at -1) and exactly H-1/W-1
    return rng.integers(-4, 5, shape).astype(np.float64)


def half_band_offsets(rng, shape):
    # samples in the border bands (-1,0) and (H-1,H) and just past them
    return rng.choice([-1.75, -1.25, -0.75, -0.25, 0.25, 0.75, 1.25, 1.75], shape) + \
        rng.uniform(-0.1, 0.1, shape)


CASES = [
    ("v1-3x3-pad1-bias", dict(seed=101, N=2, C=3, H=6, W=6, O=4, kh=3, kw=3, padding=(1, 1))),
    ("v2-mask-3x3-pad1-bias", dict(seed=102, N=2, C=3, H=6, W=6, O=4, kh=3, kw=3, padding=(1, 1),
                                   mask=True)),
    ("v1-nobias-stride2", dict(seed=103, N=1, C=3, H=7, W=8, O=2, kh=3, kw=3, stride=(2, 2),
                               padding=(1, 1), bias=False)),
    ("v2-nobias-dilation2", dict(seed=104, N=1, C=2, H=7, W=7, O=3, kh=3, kw=3, padding=(2, 2),
                                 dilation=(2, 2), bias=False, mask=True)),
    ("v2-groups2-offsetgroups2", dict(seed=105, N=2, C=4, H=5, W=6, O=6, kh=3, kw=3,
                                      padding=(1, 1), groups=2, offset_groups=2, mask=True)),
    ("v1-groups2-offsetgroups4", dict(seed=106, N=1, C=8, H=5, W=5, O=4, kh=2, kw=2,
                                      groups=2, offset_groups=4)),
    ("v2-groups3-offsetgroups1-nobias", dict(seed=107, N=1, C=6, H=5, W=4, O=3, kh=3, kw=1,
                                             padding=(1, 0), groups=3, offset_groups=1,
                                             bias=False, mask=True)),
    ("v1-nonsquare-k2x3-img5x7-mixed", dict(seed=108, N=1, C=2, H=5, W=7, O=3, kh=2, kw=3,
                                            stride=(1, 2), padding=(0, 1), dilation=(2, 1))),
    ("v2-image-1x1", dict(seed=109, N=2, C=2, H=1, W=1, O=3, kh=3, kw=3, padding=(1, 1),
                          mask=True, offset_scale=1.2)),
    ("v1-offsets-far-outside", dict(seed=110, N=1, C=2, H=5, W=4, O=2, kh=3, kw=3,
                                    padding=(1, 1), offset_fn=far_offsets)),
    ("v2-integer-offsets", dict(seed=111, N=1, C=2, H=4, W=5, O=2, kh=3, kw=3, padding=(1, 1),
                                mask=True, offset_fn=integer_offsets)),
    ("v1-integer-offsets-nobias", dict(seed=112, N=1, C=1, H=3, W=3, O=2, kh=2, kw=2,
                                       padding=(1, 1), bias=False, offset_fn=integer_offsets)),
    ("v2-tiny-image-2x3", dict(seed=113, N=1, C=2, H=2, W=3, O=2, kh=3, kw=3, padding=(1, 1),
                               mask=True)),
    ("v1-stride3-gt-kernel2", dict(seed=114, N=1, C=2, H=8, W=9, O=2, kh=2, kw=2,
                                   stride=(3, 3))),
    ("v2-kernel1x1-stride2x1-pad", dict(seed=115, N=2, C=3, H=4, W=3, O=2, kh=1, kw=1,
                                        stride=(2, 1), padding=(1, 2), mask=True,
                                        offset_scale=2.5)),
    ("v1-border-bands", dict(seed=116, N=1, C=2, H=4, W=4, O=2, kh=3, kw=3, padding=(1, 1),
                             offset_fn=half_band_offsets)),
]


def save(path, arr):
    arr = np.ascontiguousarray(arr, dtype='<f8')
    np.save(path, arr)


def write_case(dirpath, c, out, grads):
    os.makedirs(os.path.join(dirpath, 'expected'))
    inputs = {}
    for k in ('input', 'offset', 'weight', 'bias', 'mask'):
        if c[k] is not None:
            inputs[k] = k + '.npy'
            save(os.path.join(dirpath, k + '.npy'), c[k])
    save(os.path.join(dirpath, 'grad_output.npy'), c['grad_output'])
    save(os.path.join(dirpath, 'expected', 'output.npy'), out)
    for k, v in grads.items():
        save(os.path.join(dirpath, 'expected', k + '.npy'), v)
    meta = {"op": "deform_conv2d", "params": c['params'], "inputs": inputs,
            "grad_output": "grad_output.npy"}
    with open(os.path.join(dirpath, 'case.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'cases', 'torchvision'))
    args = ap.parse_args()

    import torchvision
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {np.__version__}")
    sanity_conv2d()

    results = []
    for name, spec in CASES:
        spec = dict(spec)
        c = make_case(**spec)
        p = c['params']
        out, grads = torch_run(c['input'], c['offset'], c['weight'], c['bias'], c['mask'],
                               p['stride'], p['padding'], p['dilation'], c['grad_output'])
        ref_out, ref_grads = numpy_deform_conv2d(c['input'], c['offset'], c['weight'], c['bias'],
                                                 c['mask'], p['stride'], p['padding'],
                                                 p['dilation'], c['grad_output'])
        assert sorted(grads) == sorted(ref_grads), (name, sorted(grads), sorted(ref_grads))
        worst = float(np.abs(out - ref_out).max()) if out.size else 0.0
        assert np.allclose(out, ref_out, rtol=1e-12, atol=1e-12), (name, 'output', worst)
        for k in grads:
            d = float(np.abs(grads[k] - ref_grads[k]).max()) if grads[k].size else 0.0
            assert np.allclose(grads[k], ref_grads[k], rtol=1e-12, atol=1e-12), (name, k, d)
            worst = max(worst, d)
        results.append((name, c, out, grads, worst))

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    for name, c, out, grads, worst in results:
        write_case(os.path.join(args.out, name), c, out, grads)
        x = c['input']
        print(f"{name:36s} input {list(x.shape)} weight {list(c['weight'].shape)} "
              f"out {list(out.shape)} {c['params']} mask={c['mask'] is not None} "
              f"bias={c['bias'] is not None}  |torch-numpy| <= {worst:.1e}")
    print(f"wrote {len(results)} cases to {args.out}")


if __name__ == '__main__':
    sys.exit(main())
