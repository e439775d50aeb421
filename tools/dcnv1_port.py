"""NumPy (float64, plain loops) port of the official DCNv1 deformable
convolution (msracver/Deformable-ConvNets, rfcn/operator_cxx/:
deformable_convolution-inl.h and nn/deformable_im2col.cuh; Dai et al.,
ICCV 2017), forward and backward. Its CPU path is unimplemented, so the CUDA
kernels are the definition; they are ported here one CUDA thread (index) at a
time, statement by statement:

  deformable_im2col_gpu_kernel       -> im2col()        (forward columns)
  deformable_col2im_gpu_kernel       -> col2im()        (input gradient)
  deformable_col2im_coord_gpu_kernel -> col2im_coord()  (offset gradient)

and the operator's Forward/Backward (per image: columns, then one GEMM per
group; weight gradient = grad_out . columns^T; bias gradient = sum).

Layouts (torchvision/ONNX, CASE_FORMAT.md): input [N, C, H, W], offset
[N, 2*dg*kh*kw, Ho, Wo] ((dy, dx) per kernel point), weight [O, C/groups,
kh, kw], output [N, O, Ho, Wo]. The official operator has symmetric padding;
pads = (top, left, bottom, right) here only adds ONNX's end padding, which
sizes the output and nothing else (the kernels see pad_h = top, pad_w = left).
It has no modulation mask.

Pointer arithmetic is kept as flat indices into the arrays, as in the CUDA
code (data_im_ptr = data_im + (c_im * height + h_in) * width + w_in, which may
point before the plane: only base + in-range offsets are ever read).
"""
import math

import numpy as np


def _c_int(v):
    """C's (int) conversion of a float: truncation toward zero."""
    return int(math.trunc(v))


def im2col_bilinear(bottom, base, data_width, height, width, h, w):
    """deformable_im2col_bilinear(bottom_data + base, data_width, height, width, h, w)."""
    h_low = math.floor(h)
    w_low = math.floor(w)
    if h_low >= height - 1:
        h_high = h_low = height - 1
        h = float(h_low)
    else:
        h_high = h_low + 1
    if w_low >= width - 1:
        w_high = w_low = width - 1
        w = float(w_low)
    else:
        w_high = w_low + 1
    lh = h - h_low
    lw = w - w_low
    hh = 1 - lh
    hw = 1 - lw
    v1 = bottom[base + h_low * data_width + w_low]
    v2 = bottom[base + h_low * data_width + w_high]
    v3 = bottom[base + h_high * data_width + w_low]
    v4 = bottom[base + h_high * data_width + w_high]
    w1, w2, w3, w4 = hh * hw, hh * lw, lh * hw, lh * lw
    return w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4


def get_gradient_weight(argmax_h, argmax_w, h, w, height, width):
    if argmax_h < 0 or argmax_h > height or argmax_w < 0 or argmax_w > width:
        return 0.0
    argmax_h = max(argmax_h, 0.0)
    argmax_w = max(argmax_w, 0.0)
    argmax_h_low = _c_int(argmax_h)
    argmax_w_low = _c_int(argmax_w)
    if argmax_h_low >= height - 1:
        argmax_h_high = argmax_h_low = height - 1
        argmax_h = float(argmax_h_low)
    else:
        argmax_h_high = argmax_h_low + 1
    if argmax_w_low >= width - 1:
        argmax_w_high = argmax_w_low = width - 1
        argmax_w = float(argmax_w_low)
    else:
        argmax_w_high = argmax_w_low + 1
    weight = 0.0
    if h == argmax_h_low:
        if w == argmax_w_low:
            weight = (h + 1 - argmax_h) * (w + 1 - argmax_w)
        elif w == argmax_w_high:
            weight = (h + 1 - argmax_h) * (argmax_w + 1 - w)
    elif h == argmax_h_high:
        if w == argmax_w_low:
            weight = (argmax_h + 1 - h) * (w + 1 - argmax_w)
        elif w == argmax_w_high:
            weight = (argmax_h + 1 - h) * (argmax_w + 1 - w)
    return weight


def get_coordinate_weight(argmax_h, argmax_w, height, width, im_data, base, data_width, bp_dir):
    if argmax_h < 0 or argmax_h > height or argmax_w < 0 or argmax_w > width:
        return 0.0
    if argmax_h < 0:
        argmax_h = 0.0
    if argmax_w < 0:
        argmax_w = 0.0
    argmax_h_low = _c_int(argmax_h)
    argmax_w_low = _c_int(argmax_w)
    if argmax_h_low >= height - 1:
        argmax_h_high = argmax_h_low = height - 1
        argmax_h = float(argmax_h_low)
    else:
        argmax_h_high = argmax_h_low + 1
    if argmax_w_low >= width - 1:
        argmax_w_high = argmax_w_low = width - 1
        argmax_w = float(argmax_w_low)
    else:
        argmax_w_high = argmax_w_low + 1
    im = lambda y, x: im_data[base + y * data_width + x]  # noqa: E731
    weight = 0.0
    if bp_dir == 0:
        weight += -1 * (argmax_w_low + 1 - argmax_w) * im(argmax_h_low, argmax_w_low)
        weight += -1 * (argmax_w - argmax_w_low) * im(argmax_h_low, argmax_w_high)
        weight += (argmax_w_low + 1 - argmax_w) * im(argmax_h_high, argmax_w_low)
        weight += (argmax_w - argmax_w_low) * im(argmax_h_high, argmax_w_high)
    elif bp_dir == 1:
        weight += -1 * (argmax_h_low + 1 - argmax_h) * im(argmax_h_low, argmax_w_low)
        weight += (argmax_h_low + 1 - argmax_h) * im(argmax_h_low, argmax_w_high)
        weight += -1 * (argmax_h - argmax_h_low) * im(argmax_h_high, argmax_w_low)
        weight += (argmax_h - argmax_h_low) * im(argmax_h_high, argmax_w_high)
    return weight


class Geometry:
    def __init__(self, C, H, W, kh, kw, pads, stride, dilation, dg):
        self.C, self.H, self.W, self.kh, self.kw = C, H, W, kh, kw
        self.pad_h, self.pad_w = pads[0], pads[1]
        self.stride_h, self.stride_w = stride
        self.dil_h, self.dil_w = dilation
        self.dg = dg
        self.Ho = (H + pads[0] + pads[2] - (dilation[0] * (kh - 1) + 1)) // stride[0] + 1
        self.Wo = (W + pads[1] + pads[3] - (dilation[1] * (kw - 1) + 1)) // stride[1] + 1
        self.channel_per_deformable_group = C // dg


def im2col(data_im, data_offset, g):
    """deformable_im2col_gpu_kernel over n = C * Ho * Wo threads; data_* flat, one image."""
    height, width, kernel_h, kernel_w = g.H, g.W, g.kh, g.kw
    height_col, width_col = g.Ho, g.Wo
    data_col = np.zeros(g.C * kernel_h * kernel_w * height_col * width_col)
    for index in range(g.C * height_col * width_col):
        w_col = index % width_col
        h_col = (index // width_col) % height_col
        c_im = (index // width_col) // height_col
        c_col = c_im * kernel_h * kernel_w
        deformable_group_index = c_im // g.channel_per_deformable_group
        h_in = h_col * g.stride_h - g.pad_h
        w_in = w_col * g.stride_w - g.pad_w
        data_col_ptr = (c_col * height_col + h_col) * width_col + w_col
        data_im_ptr = (c_im * height + h_in) * width + w_in
        data_offset_ptr = deformable_group_index * 2 * kernel_h * kernel_w * height_col * width_col
        for i in range(kernel_h):
            for j in range(kernel_w):
                data_offset_h_ptr = ((2 * (i * kernel_w + j)) * height_col + h_col) * width_col + w_col
                data_offset_w_ptr = ((2 * (i * kernel_w + j) + 1) * height_col + h_col) * width_col + w_col
                offset_h = float(data_offset[data_offset_ptr + data_offset_h_ptr])
                offset_w = float(data_offset[data_offset_ptr + data_offset_w_ptr])
                val = 0.0
                h_im = h_in + i * g.dil_h + offset_h
                w_im = w_in + j * g.dil_w + offset_w
                if h_im >= 0 and w_im >= 0 and h_im < height and w_im < width:
                    map_h = i * g.dil_h + offset_h
                    map_w = j * g.dil_w + offset_w
                    cur_height = height - h_in
                    cur_width = width - w_in
                    val = im2col_bilinear(data_im, data_im_ptr, width, cur_height, cur_width, map_h, map_w)
                data_col[data_col_ptr] = val
                data_col_ptr += height_col * width_col
    return data_col


def col2im(data_col, data_offset, g):
    """deformable_col2im_gpu_kernel over n = C * kh * kw * Ho * Wo threads (atomicAdd: +=)."""
    height, width, kernel_h, kernel_w = g.H, g.W, g.kh, g.kw
    height_col, width_col = g.Ho, g.Wo
    grad_im = np.zeros(g.C * height * width)
    for index in range(g.C * kernel_h * kernel_w * height_col * width_col):
        j = (index // width_col // height_col) % kernel_w
        i = (index // width_col // height_col // kernel_w) % kernel_h
        c = index // width_col // height_col // kernel_w // kernel_h
        deformable_group_index = c // g.channel_per_deformable_group
        w_out = index % width_col
        h_out = (index // width_col) % height_col
        w_in = w_out * g.stride_w - g.pad_w
        h_in = h_out * g.stride_h - g.pad_h
        data_offset_ptr = deformable_group_index * 2 * kernel_h * kernel_w * height_col * width_col
        data_offset_h_ptr = ((2 * (i * kernel_w + j)) * height_col + h_out) * width_col + w_out
        data_offset_w_ptr = ((2 * (i * kernel_w + j) + 1) * height_col + h_out) * width_col + w_out
        offset_h = float(data_offset[data_offset_ptr + data_offset_h_ptr])
        offset_w = float(data_offset[data_offset_ptr + data_offset_w_ptr])
        cur_inv_h_data = h_in + i * g.dil_h + offset_h
        cur_inv_w_data = w_in + j * g.dil_w + offset_w
        cur_top_grad = data_col[index]
        cur_h = _c_int(cur_inv_h_data)
        cur_w = _c_int(cur_inv_w_data)
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                if (0 <= cur_h + dy < height and 0 <= cur_w + dx < width
                        and abs(cur_inv_h_data - (cur_h + dy)) < 1
                        and abs(cur_inv_w_data - (cur_w + dx)) < 1):
                    cur_bottom_grad_pos = (c * height + cur_h + dy) * width + cur_w + dx
                    weight = get_gradient_weight(cur_inv_h_data, cur_inv_w_data, cur_h + dy, cur_w + dx,
                                                 height, width)
                    grad_im[cur_bottom_grad_pos] += weight * cur_top_grad
    return grad_im


def col2im_coord(data_col, data_im, data_offset, g):
    """deformable_col2im_coord_gpu_kernel over n = Ho * Wo * 2 * kh * kw * dg threads."""
    height, width, kernel_h, kernel_w = g.H, g.W, g.kh, g.kw
    height_col, width_col = g.Ho, g.Wo
    channel_per_deformable_group = g.C * kernel_h * kernel_w // g.dg  # col_shape[0] / deformable_group
    n = height_col * width_col * 2 * kernel_h * kernel_w * g.dg
    grad_offset = np.zeros(n)
    for index in range(n):
        val = 0.0
        w = index % width_col
        h = (index // width_col) % height_col
        c = index // width_col // height_col
        deformable_group_index = c // (2 * kernel_h * kernel_w)
        col_step = kernel_h * kernel_w
        cnt = 0
        data_col_ptr = deformable_group_index * channel_per_deformable_group * width_col * height_col
        data_im_ptr = deformable_group_index * channel_per_deformable_group // kernel_h // kernel_w * height * width
        data_offset_ptr = deformable_group_index * 2 * kernel_h * kernel_w * height_col * width_col
        offset_c = c - deformable_group_index * 2 * kernel_h * kernel_w
        col_c = offset_c // 2
        while col_c < channel_per_deformable_group:
            col_pos = ((col_c * height_col) + h) * width_col + w
            bp_dir = offset_c % 2
            j = (col_pos // width_col // height_col) % kernel_w
            i = (col_pos // width_col // height_col // kernel_w) % kernel_h
            w_out = col_pos % width_col
            h_out = (col_pos // width_col) % height_col
            w_in = w_out * g.stride_w - g.pad_w
            h_in = h_out * g.stride_h - g.pad_h
            data_offset_h_ptr = (((2 * (i * kernel_w + j)) * height_col + h_out) * width_col + w_out)
            data_offset_w_ptr = (((2 * (i * kernel_w + j) + 1) * height_col + h_out) * width_col + w_out)
            offset_h = float(data_offset[data_offset_ptr + data_offset_h_ptr])
            offset_w = float(data_offset[data_offset_ptr + data_offset_w_ptr])
            inv_h = h_in + i * g.dil_h + offset_h
            inv_w = w_in + j * g.dil_w + offset_w
            if inv_h < 0 or inv_w < 0 or inv_h >= height or inv_w >= width:
                inv_h = inv_w = -1.0
            weight = get_coordinate_weight(inv_h, inv_w, height, width, data_im,
                                           data_im_ptr + cnt * height * width, width, bp_dir)
            val += weight * data_col[data_col_ptr + col_pos]
            cnt += 1
            col_c += col_step
        grad_offset[index] = val
    return grad_offset


def _geometry(x, offset, weight, pads, stride, dilation, groups, dg):
    N, C, H, W = x.shape
    O, Cg, kh, kw = weight.shape
    assert C == Cg * groups and O % groups == 0 and C % dg == 0
    g = Geometry(C, H, W, kh, kw, pads, stride, dilation, dg)
    assert offset.shape == (N, 2 * dg * kh * kw, g.Ho, g.Wo), (offset.shape, g.Ho, g.Wo)
    return g


def forward(x, offset, weight, bias, pads, stride, dilation, groups, dg):
    """The operator's Forward: per image im2col, then output[g] = weight[g] . columns[g], plus bias."""
    N = x.shape[0]
    O = weight.shape[0]
    g = _geometry(x, offset, weight, pads, stride, dilation, groups, dg)
    M, K, P = O // groups, weight[0].size, g.Ho * g.Wo
    w3 = weight.reshape(groups, M, K)
    out = np.zeros((N, groups, M, P))
    for n in range(N):
        col = im2col(x[n].ravel(), offset[n].ravel(), g).reshape(groups, K, P)
        for gr in range(groups):
            out[n, gr] = w3[gr] @ col[gr]
    out = out.reshape(N, O, g.Ho, g.Wo)
    if bias is not None:
        out = out + bias.reshape(1, O, 1, 1)
    return out


def backward(x, offset, weight, bias, pads, stride, dilation, groups, dg, grad_out):
    """The operator's Backward: column gradient weight^T . grad_out, then col2im_coord (offset),
    col2im (input), im2col again for the weight gradient; bias gradient = sum."""
    N = x.shape[0]
    O = weight.shape[0]
    g = _geometry(x, offset, weight, pads, stride, dilation, groups, dg)
    K, M, P = O // groups, weight[0].size, g.Ho * g.Wo
    w3 = weight.reshape(groups, K, M)
    go = grad_out.reshape(N, groups, K, P)
    grad_input = np.zeros(x.shape)
    grad_offset = np.zeros(offset.shape)
    grad_weight = np.zeros((groups, K, M))
    for n in range(N):
        col = np.stack([w3[gr].T @ go[n, gr] for gr in range(groups)]).ravel()
        grad_offset[n] = col2im_coord(col, x[n].ravel(), offset[n].ravel(), g).reshape(offset.shape[1:])
        grad_input[n] = col2im(col, offset[n].ravel(), g).reshape(x.shape[1:])
        cols = im2col(x[n].ravel(), offset[n].ravel(), g).reshape(groups, M, P)
        for gr in range(groups):
            grad_weight[gr] += go[n, gr] @ cols[gr].T
    grads = dict(grad_input=grad_input, grad_offset=grad_offset, grad_weight=grad_weight.reshape(weight.shape))
    if bias is not None:
        grads['grad_bias'] = grad_out.sum(axis=(0, 2, 3))
    return grads
