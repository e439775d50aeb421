#!/usr/bin/python3
"""Golden deform_conv2d cases with ONNX's asymmetric padding
(pads = [top, left, bottom, right]), computed by torchvision in float64.

torchvision only pads symmetrically; asymmetric padding is computed as an
explicit zero padding of the input (torch.nn.functional.pad) followed by
deform_conv2d with padding 0. That is the same operator: under torchvision's
border rule the padded rows and columns are zeros like the samples outside the
image, and the offsets are relative to the padded grid either way
(py = y*sh - top + i*dh + dy). The input gradient flows back through F.pad
(the padded border is cropped away) by autograd.

Writes case directories (CASE_FORMAT.md) to cases/torchvision-asym/<name>/,
all arrays '<f8', with expected/{output, grad_input, grad_offset,
grad_weight, grad_bias, grad_mask}.npy as applicable.

Checks before writing:
  * the F.pad construction equals torchvision's own symmetric padding on
    symmetric configurations (forward and every gradient, to 1e-12);
  * every case against the independent NumPy implementation of DESIGN.md in
    make_golden_cases.py, applied to the explicitly padded input (to 1e-12).
Deterministic (fixed seeds).  Usage: /usr/bin/python3 tools/make_asym_cases.py
"""
import argparse
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torchvision.ops import deform_conv2d  # noqa: E402

import make_golden_cases as golden  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_asym(x, offset, weight, bias, mask, stride, pads, dilation, grad_out):
    """deform_conv2d of F.pad(x, (left, right, top, bottom)) with padding 0; gradients by autograd."""
    t = {k: (None if v is None else torch.tensor(v, dtype=torch.float64, requires_grad=True))
         for k, v in dict(input=x, offset=offset, weight=weight, bias=bias, mask=mask).items()}
    top, left, bottom, right = pads
    padded = F.pad(t['input'], (left, right, top, bottom))
    out = deform_conv2d(padded, t['offset'], t['weight'], t['bias'], stride=tuple(stride), padding=(0, 0),
                        dilation=tuple(dilation), mask=t['mask'])
    out.backward(torch.tensor(grad_out, dtype=torch.float64))
    grads = {'grad_' + k: v.grad.detach().numpy().copy() for k, v in t.items() if v is not None}
    return out.detach().numpy().copy(), grads


def out_size(H, W, kh, kw, s, pads, d):
    return ((H + pads[0] + pads[2] - (d[0] * (kh - 1) + 1)) // s[0] + 1,
            (W + pads[1] + pads[3] - (d[1] * (kw - 1) + 1)) // s[1] + 1)


def build(seed, N, C, H, W, O, kh, kw, pads, stride=(1, 1), dilation=(1, 1), groups=1, offset_groups=1,
          bias=True, mask=False, offset_scale=1.5):
    rng = np.random.default_rng(seed)
    Ho, Wo = out_size(H, W, kh, kw, stride, pads, dilation)
    assert Ho > 0 and Wo > 0
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C // groups, kh, kw)) * 0.5
    b = rng.standard_normal(O) if bias else None
    off = rng.uniform(-offset_scale, offset_scale, (N, 2 * offset_groups * kh * kw, Ho, Wo))
    m = rng.uniform(0.0, 1.0, (N, offset_groups * kh * kw, Ho, Wo)) if mask else None
    g = rng.standard_normal((N, O, Ho, Wo))
    return dict(input=x, offset=off, weight=w, bias=b, mask=m, grad_output=g, stride=stride, pads=pads,
                dilation=dilation,
                params=dict(stride=list(stride), padding=list(pads), dilation=list(dilation), groups=groups,
                            offset_groups=offset_groups))


CASES = [
    # ONNX Runtime's deform_conv tests use pads [1, 0, 0, 1].
    ("onnx-pads-1-0-0-1", dict(seed=301, N=1, C=2, H=4, W=5, O=2, kh=2, kw=2, pads=(1, 0, 0, 1))),
    ("pads-2-0-1-3-stride2-mask", dict(seed=302, N=2, C=3, H=5, W=6, O=4, kh=3, kw=3, pads=(2, 0, 1, 3),
                                       stride=(2, 2), mask=True)),
    ("pads-0-1-2-0-groups2-dg2", dict(seed=303, N=1, C=4, H=6, W=5, O=4, kh=3, kw=2, pads=(0, 1, 2, 0),
                                      groups=2, offset_groups=2, bias=False, mask=True)),
    ("pads-3-2-0-1-dilation2", dict(seed=304, N=1, C=2, H=5, W=5, O=3, kh=2, kw=3, pads=(3, 2, 0, 1),
                                    dilation=(2, 2), offset_scale=2.5)),
    ("pads-1-0-0-0-image-1x2", dict(seed=305, N=2, C=2, H=1, W=2, O=2, kh=2, kw=1, pads=(1, 0, 0, 0),
                                    mask=True)),
]


def sanity_symmetric():
    """F.pad + padding 0 == torchvision's own padding, on symmetric pads."""
    worst = 0.0
    for seed, pads in ((401, (1, 1, 1, 1)), (402, (2, 0, 2, 0)), (403, (0, 3, 0, 3))):
        c = build(seed, 2, 2, 5, 6, 3, 3, 3, pads, stride=(1, 2), mask=True)
        a = torch_asym(c['input'], c['offset'], c['weight'], c['bias'], c['mask'], c['stride'], pads,
                       c['dilation'], c['grad_output'])
        e = golden.torch_run(c['input'], c['offset'], c['weight'], c['bias'], c['mask'], c['stride'],
                             (pads[0], pads[1]), c['dilation'], c['grad_output'])
        assert np.allclose(a[0], e[0], rtol=0, atol=1e-12)
        worst = max(worst, float(np.abs(a[0] - e[0]).max()))
        for k in e[1]:
            assert np.allclose(a[1][k], e[1][k], rtol=0, atol=1e-12), k
            worst = max(worst, float(np.abs(a[1][k] - e[1][k]).max()))
    print(f"sanity: F.pad + padding 0 == torchvision's symmetric padding, max |diff| = {worst:.1e}")


def check_numpy(name, c, out, grads):
    top, left, bottom, right = c['pads']
    xp = np.pad(c['input'], ((0, 0), (0, 0), (top, bottom), (left, right)))
    ref_out, ref_grads = golden.numpy_deform_conv2d(xp, c['offset'], c['weight'], c['bias'], c['mask'],
                                                    c['stride'], (0, 0), c['dilation'], c['grad_output'])
    ref_grads['grad_input'] = ref_grads['grad_input'][:, :, top:top + c['input'].shape[2],
                                                      left:left + c['input'].shape[3]]
    worst = float(np.abs(out - ref_out).max())
    assert worst <= 1e-12, (name, 'output', worst)
    for k in grads:
        d = float(np.abs(grads[k] - ref_grads[k]).max())
        assert d <= 1e-12, (name, k, d)
        worst = max(worst, d)
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'cases', 'torchvision-asym'))
    args = ap.parse_args()
    import torchvision
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, numpy {np.__version__}")
    sanity_symmetric()
    results = []
    for name, spec in CASES:
        c = build(**spec)
        out, grads = torch_asym(c['input'], c['offset'], c['weight'], c['bias'], c['mask'], c['stride'],
                                c['pads'], c['dilation'], c['grad_output'])
        worst = check_numpy(name, c, out, grads)
        results.append((name, c, out, grads, worst))
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    for name, c, out, grads, worst in results:
        golden.write_case(os.path.join(args.out, name), c, out, grads)
        print(f"{name:30s} input {list(c['input'].shape)} out {list(out.shape)} {c['params']} "
              f"mask={c['mask'] is not None} bias={c['bias'] is not None} |torch-numpy| <= {worst:.1e}")
    print(f"wrote {len(results)} cases to {args.out}")


if __name__ == '__main__':
    sys.exit(main())
