#!/usr/bin/python3
"""Golden 16-bit cases: float16 (cases/torchvision-f16/) and bfloat16 (cases/torchvision-bf16/).

Every input is drawn, then rounded to the 16-bit format (numpy float16, or torch.bfloat16, both
round to nearest even); the expected values are computed in float64 on those 16-bit values widened
exactly, then rounded once to the same format -- "results in the dtype of the inputs, rounded once"
(DESIGN.md "16-bit tensors"):
  * deform_conv2d by torchvision.ops.deform_conv2d and torch autograd (float64), checked against
    the independent NumPy implementation of make_golden_cases.py to 1e-12;
  * deform_psroi_pool by the NumPy port of the official MXNet kernel (psroi_pool_port.py).

Arrays (CASE_FORMAT.md "16-bit cases"): float16 cases are all '<f2' (expected/ included);
bfloat16 cases have params "dtype": "bf16" and hold '<u2' bit patterns.

Deterministic (fixed seeds). Usage (Debian: apt-get install python3-torchvision):
    /usr/bin/python3 tools/make_sixteen_bit_cases.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_golden_cases as golden  # noqa: E402
import make_psroi_cases as psroi_cases  # noqa: E402
import psroi_pool_port as port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def to_f16(a):
    """Rounded to float16 (nearest even), widened back to float64 exactly."""
    return None if a is None else np.asarray(a, dtype=np.float64).astype(np.float16).astype(np.float64)


def to_bf16(a):
    """Rounded to bfloat16 by torch (nearest even), widened back to float64 exactly."""
    if a is None:
        return None
    return torch.tensor(np.asarray(a, dtype=np.float64)).to(torch.bfloat16).to(torch.float64).numpy()


def bf16_bits(a):
    """The '<u2' bit patterns of the bfloat16 rounding of a."""
    t = torch.tensor(np.asarray(a, dtype=np.float64)).to(torch.bfloat16)
    return t.view(torch.int16).numpy().view('<u2').copy()


FORMATS = {
    'f16': dict(round=to_f16, folder='torchvision-f16',
                save=lambda path, a: np.save(path, np.ascontiguousarray(a, dtype='<f2'))),
    'bf16': dict(round=to_bf16, folder='torchvision-bf16',
                 save=lambda path, a: np.save(path, np.ascontiguousarray(bf16_bits(a)))),
}

CONV_CASES = [
    ("v1-3x3-pad1-bias", dict(seed=201, N=2, C=3, H=6, W=6, O=4, kh=3, kw=3, padding=(1, 1))),
    ("v2-mask-groups2-offsetgroups2", dict(seed=202, N=2, C=4, H=5, W=6, O=6, kh=3, kw=3,
                                           padding=(1, 1), groups=2, offset_groups=2, mask=True)),
    ("v1-offsets-far-outside", dict(seed=203, N=1, C=2, H=5, W=4, O=2, kh=3, kw=3, padding=(1, 1),
                                    offset_fn=golden.far_offsets)),
    ("v2-integer-offsets-nobias", dict(seed=204, N=1, C=2, H=4, W=5, O=2, kh=3, kw=3,
                                       padding=(1, 1), bias=False, mask=True,
                                       offset_fn=golden.integer_offsets)),
    ("v1-stride2-dilation2-wide", dict(seed=205, N=1, C=16, H=9, W=10, O=8, kh=3, kw=3,
                                       stride=(2, 2), padding=(2, 2), dilation=(2, 2))),
]

POOL_CASES = [
    ("psroi-group3-trans", 301, dict(N=1, H=8, W=9), dict(spatial_scale=0.5, output_dim=2,
                                                          group_size=3, pooled_size=3, part_size=3,
                                                          sample_per_part=2, trans_std=0.1),
     [[0, 2, 3, 12, 14], [0, 0, 0, 17, 15], [0, 4, 2, 9, 8]], 2),
    ("psroi-group1-notrans", 302, dict(N=2, H=6, W=7), dict(spatial_scale=1.0, output_dim=3,
                                                            group_size=1, pooled_size=2,
                                                            part_size=2, sample_per_part=2,
                                                            trans_std=0.0),
     [[0, 1, 1, 5, 4], [1, 0, 2, 6, 5]], None),
]


def write(dirpath, op, params, inputs, grad_output, expected, fmt, dtype_param):
    os.makedirs(os.path.join(dirpath, 'expected'))
    files = {}
    for k, v in inputs.items():
        if v is not None:
            files[k] = k + '.npy'
            fmt['save'](os.path.join(dirpath, k + '.npy'), v)
    fmt['save'](os.path.join(dirpath, 'grad_output.npy'), grad_output)
    for k, v in expected.items():
        fmt['save'](os.path.join(dirpath, 'expected', k + '.npy'), v)
    p = dict(params)
    if dtype_param:
        p['dtype'] = dtype_param
    meta = {"op": op, "params": p, "inputs": files, "grad_output": "grad_output.npy"}
    with open(os.path.join(dirpath, 'case.json'), 'w') as f:
        json.dump(meta, f, indent=2)
        f.write('\n')


def main():
    torch.set_num_threads(1)
    for name_fmt, fmt in FORMATS.items():
        r = fmt['round']
        out_dir = os.path.join(ROOT, 'cases', fmt['folder'])
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        for name, spec in CONV_CASES:
            c = golden.make_case(**spec)
            for k in ('input', 'offset', 'weight', 'bias', 'mask', 'grad_output'):
                c[k] = r(c[k])
            p = c['params']
            out, grads = golden.torch_run(c['input'], c['offset'], c['weight'], c['bias'], c['mask'],
                                          p['stride'], p['padding'], p['dilation'], c['grad_output'])
            ref_out, ref_grads = golden.numpy_deform_conv2d(c['input'], c['offset'], c['weight'],
                                                            c['bias'], c['mask'], p['stride'],
                                                            p['padding'], p['dilation'],
                                                            c['grad_output'])
            assert np.allclose(out, ref_out, rtol=1e-12, atol=1e-12), name
            for k in grads:
                assert np.allclose(grads[k], ref_grads[k], rtol=1e-12, atol=1e-12), (name, k)
            expected = {'output': r(out)}
            expected.update({k: r(v) for k, v in grads.items()})
            write(os.path.join(out_dir, name), 'deform_conv2d', p,
                  {k: c[k] for k in ('input', 'offset', 'weight', 'bias', 'mask')}, c['grad_output'],
                  expected, fmt, 'bf16' if name_fmt == 'bf16' else None)
            print(f"{fmt['folder']}/{name}: output {out.shape}")
        for name, seed, shape, params, rois, classes in POOL_CASES:
            c = psroi_cases.build(seed, shape['N'], shape['H'], shape['W'], params, rois, classes)
            x, rs, off, g = r(c['input']), r(c['rois']), r(c['offset']), r(c['grad_output'])
            out, _ = port.forward(x, rs, off, params)
            gin, goff = port.backward(x, rs, off, params, g)
            expected = {'output': r(out), 'grad_input': r(gin)}
            if off is not None:
                expected['grad_offset'] = r(goff)
            write(os.path.join(out_dir, name), 'deform_psroi_pool', params,
                  {'input': x, 'rois': rs, 'offset': off}, g, expected, fmt,
                  'bf16' if name_fmt == 'bf16' else None)
            print(f"{fmt['folder']}/{name}: output {out.shape}")


if __name__ == '__main__':
    main()
