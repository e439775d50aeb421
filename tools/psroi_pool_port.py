"""NumPy (float64, plain loops) port of the official MXNet
DeformablePSROIPooling CUDA kernels (src/operator/contrib/
deformable_psroi_pooling.cu, Dai et al.), forward and backward.

Layouts as in CASE_FORMAT.md:
  input  [N, output_dim*group_size^2, H, W]
  rois   [R, 5]  (batch_index, x1, y1, x2, y2), image coordinates
  offset [R, 2*num_classes, part_size, part_size] or None (no_trans)
  output [R, output_dim, pooled_size, pooled_size]

Everything is computed in Python floats (IEEE float64) in the same order of
operations as the CUDA code, so the results are what the kernel computes with
DType = double (accumulation order aside).
"""
import math

import numpy as np


def c_round(v):
    """C's round(): half away from zero (Python's round() is half-to-even)."""
    v = float(v)
    t = math.trunc(v)          # exact
    if abs(v - t) >= 0.5:      # v - t is exact too
        t += math.copysign(1.0, v)
    return float(t)


class _Roi:
    """Per-RoI quantities, exactly as the kernel computes them."""

    def __init__(self, roi, spatial_scale, pooled_size, sample_per_part):
        self.batch = int(float(roi[0]))  # C int conversion: truncation toward zero
        x1, y1, x2, y2 = (float(v) for v in roi[1:5])
        self.start_w = c_round(x1) * spatial_scale - 0.5
        self.start_h = c_round(y1) * spatial_scale - 0.5
        end_w = (c_round(x2) + 1.0) * spatial_scale - 0.5
        end_h = (c_round(y2) + 1.0) * spatial_scale - 0.5
        self.width = max(end_w - self.start_w, 0.1)    # "force too small ROIs to be 1x1"
        self.height = max(end_h - self.start_h, 0.1)
        self.bin_h = self.height / float(pooled_size)
        self.bin_w = self.width / float(pooled_size)
        self.sub_h = self.bin_h / float(sample_per_part)
        self.sub_w = self.bin_w / float(sample_per_part)


def _check(x, rois, offset, p):
    N, C, H, W = x.shape
    od, G, P = p['output_dim'], p['group_size'], p['pooled_size']
    assert C == od * G * G, (C, od, G)
    assert rois.ndim == 2 and rois.shape[1] == 5
    if offset is not None:
        assert offset.shape[0] == rois.shape[0]
        assert offset.shape[1] % 2 == 0
        assert offset.shape[2] == offset.shape[3] == p['part_size']
        assert od % (offset.shape[1] // 2) == 0
    return N, C, H, W


def _bin_setup(n, ctop, ph, pw, roi, offset, p, num_classes, channels_each_class):
    P, part_size, G = p['pooled_size'], p['part_size'], p['group_size']
    trans_std = p['trans_std']
    # official: int part_h = floor(static_cast<DType>(ph) / pooled_height*part_size);
    part_h = math.floor(float(ph) / P * part_size)
    part_w = math.floor(float(pw) / P * part_size)
    class_id = ctop // channels_each_class
    if offset is None:
        trans_x = 0.0
        trans_y = 0.0
    else:
        trans_x = float(offset[n, class_id * 2, part_h, part_w]) * trans_std
        trans_y = float(offset[n, class_id * 2 + 1, part_h, part_w]) * trans_std
    wstart = float(pw) * roi.bin_w + roi.start_w
    wstart += trans_x * roi.width
    hstart = float(ph) * roi.bin_h + roi.start_h
    hstart += trans_y * roi.height
    # official: floor(static_cast<DType>(pw) * group_size / pooled_width)
    gw = math.floor(float(pw) * G / P)
    gh = math.floor(float(ph) * G / P)
    gw = min(max(gw, 0), G - 1)
    gh = min(max(gh, 0), G - 1)
    return part_h, part_w, class_id, wstart, hstart, gh, gw


def _samples(roi, wstart, hstart, H, W, spp):
    """Yields the (clamped) sample points taken, in kernel order."""
    for ih in range(spp):
        for iw in range(spp):
            w = wstart + iw * roi.sub_w
            h = hstart + ih * roi.sub_h
            if w < -0.5 or w > W - 0.5 or h < -0.5 or h > H - 0.5:
                continue
            w = min(max(w, 0.0), W - 1.0)
            h = min(max(h, 0.0), H - 1.0)
            yield w, h


def _bilinear(img, x, y):
    # official bilinear_interp: x1 = floor(x), x2 = ceil(x), y1 = floor(y), y2 = ceil(y)
    x1 = math.floor(x)
    x2 = math.ceil(x)
    y1 = math.floor(y)
    y2 = math.ceil(y)
    dist_x = x - x1
    dist_y = y - y1
    value11 = img[y1, x1]
    value12 = img[y2, x1]
    value21 = img[y1, x2]
    value22 = img[y2, x2]
    return ((1 - dist_x) * (1 - dist_y) * value11 + (1 - dist_x) * dist_y * value12
            + dist_x * (1 - dist_y) * value21 + dist_x * dist_y * value22)


def _get(img, yy, xx):
    # with ceil (the official kernel) the corner is always inside the image
    return img[yy, xx] if yy < img.shape[0] and xx < img.shape[1] else 0.0


def _add(img, yy, xx, v):
    if yy < img.shape[0] and xx < img.shape[1]:
        img[yy, xx] += v


def _classes(offset, output_dim):
    num_classes = 1 if offset is None else offset.shape[1] // 2
    channels_each_class = output_dim if offset is None else output_dim // num_classes
    return num_classes, channels_each_class


def forward(x, rois, offset, p):
    """Returns (output [R, output_dim, P, P], count [R, output_dim, P, P])."""
    x = np.asarray(x, dtype=np.float64)
    rois = np.asarray(rois, dtype=np.float64)
    offset = None if offset is None else np.asarray(offset, dtype=np.float64)
    N, C, H, W = _check(x, rois, offset, p)
    od, G, P, spp = p['output_dim'], p['group_size'], p['pooled_size'], p['sample_per_part']
    num_classes, cec = _classes(offset, od)
    R = rois.shape[0]
    out = np.zeros((R, od, P, P))
    cnt = np.zeros((R, od, P, P))
    for n in range(R):
        roi = _Roi(rois[n], p['spatial_scale'], P, spp)
        if not 0 <= roi.batch < N:
            raise ValueError(f"roi {n}: batch index {roi.batch} not in [0, {N})")
        data = x[roi.batch]
        for ctop in range(od):
            for ph in range(P):
                for pw in range(P):
                    _, _, _, wstart, hstart, gh, gw = _bin_setup(
                        n, ctop, ph, pw, roi, offset, p, num_classes, cec)
                    c = (ctop * G + gh) * G + gw
                    s = 0.0
                    k = 0
                    for w, h in _samples(roi, wstart, hstart, H, W, spp):
                        s += _bilinear(data[c], w, h)
                        k += 1
                    out[n, ctop, ph, pw] = 0.0 if k == 0 else s / k
                    cnt[n, ctop, ph, pw] = k
    return out, cnt


def backward(x, rois, offset, p, grad_output, upper=math.ceil):
    """Official DeformablePSROIPoolBackwardAccKernel.
    Returns (grad_input like x, grad_offset like offset or None).
    `upper` computes the far corner of the cell from the clamped coordinate;
    the official kernel uses ceil.  It is a parameter only so that the case
    generator can show that the classic floor+1 bug changes the answer on its
    cases (corners past the image then read 0 and take no gradient)."""
    x = np.asarray(x, dtype=np.float64)
    rois = np.asarray(rois, dtype=np.float64)
    offset = None if offset is None else np.asarray(offset, dtype=np.float64)
    grad_output = np.asarray(grad_output, dtype=np.float64)
    N, C, H, W = _check(x, rois, offset, p)
    od, G, P, spp = p['output_dim'], p['group_size'], p['pooled_size'], p['sample_per_part']
    trans_std = p['trans_std']
    num_classes, cec = _classes(offset, od)
    R = rois.shape[0]
    assert grad_output.shape == (R, od, P, P)
    _, top_count = forward(x, rois, offset, p)
    gin = np.zeros_like(x)
    goff = None if offset is None else np.zeros_like(offset)
    for n in range(R):
        roi = _Roi(rois[n], p['spatial_scale'], P, spp)
        data = x[roi.batch]
        gdata = gin[roi.batch]
        for ctop in range(od):
            for ph in range(P):
                for pw in range(P):
                    part_h, part_w, class_id, wstart, hstart, gh, gw = _bin_setup(
                        n, ctop, ph, pw, roi, offset, p, num_classes, cec)
                    if top_count[n, ctop, ph, pw] <= 0:
                        continue
                    diff_val = grad_output[n, ctop, ph, pw] / top_count[n, ctop, ph, pw]
                    c = (ctop * G + gh) * G + gw
                    for w, h in _samples(roi, wstart, hstart, H, W, spp):
                        # backward on feature
                        x0 = math.floor(w)
                        x1 = upper(w)
                        y0 = math.floor(h)
                        y1 = upper(h)
                        dist_x = w - x0
                        dist_y = h - y0
                        q00 = (1 - dist_x) * (1 - dist_y)
                        q01 = (1 - dist_x) * dist_y
                        q10 = dist_x * (1 - dist_y)
                        q11 = dist_x * dist_y
                        _add(gdata[c], y0, x0, q00 * diff_val)
                        _add(gdata[c], y1, x0, q01 * diff_val)
                        _add(gdata[c], y0, x1, q10 * diff_val)
                        _add(gdata[c], y1, x1, q11 * diff_val)
                        if offset is None:
                            continue
                        U00 = _get(data[c], y0, x0)
                        U01 = _get(data[c], y1, x0)
                        U10 = _get(data[c], y0, x1)
                        U11 = _get(data[c], y1, x1)
                        diff_x = (U11 * dist_y + U10 * (1 - dist_y) - U01 * dist_y
                                  - U00 * (1 - dist_y)) * trans_std * diff_val
                        diff_x *= roi.width
                        diff_y = (U11 * dist_x + U01 * (1 - dist_x) - U10 * dist_x
                                  - U00 * (1 - dist_x)) * trans_std * diff_val
                        diff_y *= roi.height
                        goff[n, class_id * 2, part_h, part_w] += diff_x
                        goff[n, class_id * 2 + 1, part_h, part_w] += diff_y
    return gin, goff


def sample_signature(x_shape, rois, offset, p):
    """Discrete state of every sample (taken?, floor/ceil cell, clamped?).
    Where it does not change under a perturbation of one offset value, the
    output is linear in that value (bilinear blend within one cell, fixed
    sample count), so central finite differences are exact up to rounding."""
    N, C, H, W = x_shape
    rois = np.asarray(rois, dtype=np.float64)
    od, G, P, spp = p['output_dim'], p['group_size'], p['pooled_size'], p['sample_per_part']
    num_classes, cec = _classes(offset, od)
    sig = []
    for n in range(rois.shape[0]):
        roi = _Roi(rois[n], p['spatial_scale'], P, spp)
        for ctop in range(od):
            for ph in range(P):
                for pw in range(P):
                    _, _, _, wstart, hstart, _, _ = _bin_setup(
                        n, ctop, ph, pw, roi, offset, p, num_classes, cec)
                    for ih in range(spp):
                        for iw in range(spp):
                            w = wstart + iw * roi.sub_w
                            h = hstart + ih * roi.sub_h
                            skip = w < -0.5 or w > W - 0.5 or h < -0.5 or h > H - 0.5
                            sig.append((skip, w < 0, w > W - 1, h < 0, h > H - 1,
                                        math.floor(w), math.ceil(w),
                                        math.floor(h), math.ceil(h)))
    return sig
