/*
 * dcn4j: deformable convolution kernels for the OpenCL backend (OpenCL C 1.2, float32).
 * Semantics: DESIGN.md "Deformable convolution" (paper eq. 2-4; modulated as DCNv2); the float64
 * reference is dcn4j.reference.ReferenceDeformConv2d / Bilinear.
 *
 * Every kernel takes the geometry as one int16 g:
 *   s0 C, s1 H, s2 W, s3 kh, s4 kw, s5 Ho, s6 Wo, s7 stride h, s8 stride w, s9 pad top, sa pad left,
 *   sb dilation h, sc dilation w, sd C/offsetGroups, se offsetGroups,
 *   sf flags (1 offset, 2 mask, 4 border rule DCNV1)
 * (the bottom and right paddings only size Ho and Wo).
 * and a batch chunk: images n0 .. n0+Q-1. Column buffers are [C*kh*kw, Q*Ho*Wo]: row c*K + k,
 * column q*P + p (K = kh*kw, P = Ho*Wo).
 *
 * Launch convention: NDRange dimension 0 is padded up to a multiple of the fixed work-group width
 * (so that the runtime compiles one variant per kernel, not one per shape) and guarded; dimensions
 * 1 and 2 are exact.
 *
 * No float atomics anywhere: every output element is written by exactly one work-item that sums
 * its terms in a fixed order, so results are bit-identical run to run.
 */

#define UNPACK(g) \
    const int C = (g).s0, H = (g).s1, W = (g).s2, KH = (g).s3, KW = (g).s4, HO = (g).s5, WO = (g).s6; \
    const int SH = (g).s7, SW = (g).s8, PH = (g).s9, PW = (g).sa, DH = (g).sb, DW = (g).sc; \
    const int CPOG = (g).sd, OG = (g).se; \
    const int HAS_OFFSET = (g).sf & 1, HAS_MASK = ((g).sf >> 1) & 1, DCNV1 = ((g).sf >> 2) & 1; \
    const int K = KH * KW, P = HO * WO; \
    (void) C; (void) H; (void) W; (void) KH; (void) KW; (void) HO; (void) WO; (void) SH; (void) SW; \
    (void) PH; (void) PW; (void) DH; (void) DW; (void) CPOG; (void) OG; (void) HAS_OFFSET; \
    (void) HAS_MASK; (void) DCNV1; (void) K; (void) P;

/* Where kernel point k of output pixel p samples, for offset group og of image n (DESIGN.md):
 *   py = y*sh - ph + i*dh + offset[n, 2*(og*K + k), y, x]
 *   px = x*sw - pw + j*dw + offset[n, 2*(og*K + k) + 1, y, x]
 * kept as the integer cell (y0, x0) = (floor py, floor px) and the fractions ly = py - y0 and
 * hy = y0 + 1 - py (likewise x). The integer base and floor(offset) are added as integers, and
 * ly = offset - floor(offset), hy = floor(offset) + 1 - offset are each one float32 rounding of the
 * exact value: the cell is exactly the float64 reference's and each weight factor within 2^-24 of it,
 * as the vector backend's SampleTable (float64 coordinates). A float32 sum py = base + offset would
 * round the fraction to the spacing of |py| (gradient errors of 1e-2 for samples within 1e-6 of a
 * cell edge or the border), and 1.0f - ly would lose a weight factor near 0.
 * kind: SAMPLE_OUTSIDE (the cell has no corner in the image, +-inf included: Bilinear.cellTouchesImage
 * false; under DCNV1: not 0 <= p < size, Dcnv1Bilinear.outside), SAMPLE_NAN (a NaN coordinate, under
 * both border rules: DESIGN.md "Non-finite values"), SAMPLE_CELL (the cell touches the image). */
#define SAMPLE_OUTSIDE 0
#define SAMPLE_NAN 1
#define SAMPLE_CELL 2

typedef struct {
    int kind, y0, x0;
    float ly, lx, hy, hx;   /* hy = 1 - ly, rounded once: 1.0f - ly loses a weight near 0 */
    float sy, sx;           /* 1, or 0 along a coordinate moved onto the last row/column (DCNV1) */
} Sample;

/* One axis: base + off as cell, fraction and 1 - fraction (each rounded once: off - fo and
 * (fo + 1) - off) and the factor of the slope along the axis; returns 0 outside, 1 for NaN, 2 inside.
 * Inside means a cell in [-1, size-1] under torchvision's rule (Bilinear.cellTouchesImage), and
 * 0 <= p < size, i.e. a cell in [0, size-1], under DCNV1 (Dcnv1Bilinear.outside; DESIGN.md "Border
 * rules"), where the cell size-1 is the moved coordinate: fraction 0 (its second corner, outside the
 * image, weighs 0 and reads 0) and slope factor 0, as the official get_coordinate_weight. */
inline int axis_cell(const int base, const float off, const int size, const int dcnv1, int* cell, float* frac,
                     float* rest, float* slope)
{
    if (isnan(off)) return 1;
    if (isinf(off)) return 0;
    const float fo = floor(off);
    /* (float) base + fo is an integer; exact wherever it can fall in [-1, size - 1]. */
    const float c = (float) base + fo;
    if (!(c >= (dcnv1 ? 0.0f : -1.0f) && c <= (float) (size - 1))) return 0;
    *cell = (int) c;
    if (dcnv1 && c == (float) (size - 1)) {
        *frac = 0.0f;
        *rest = 1.0f;
        *slope = 0.0f;
        return 2;
    }
    *frac = off - fo;
    *rest = (fo + 1.0f) - off;
    *slope = 1.0f;
    return 2;
}

inline Sample sample_point(__global const float* offset, const int16 g, const int n, const int og, const int k,
                           const int p)
{
    UNPACK(g)
    const int y = p / WO, x = p % WO, i = k / KW, j = k % KW;
    const int by = y * SH - PH + i * DH, bx = x * SW - PW + j * DW;
    float oy = 0.0f, ox = 0.0f;
    if (HAS_OFFSET) {
        const int ch = 2 * ((n * OG + og) * K + k);
        oy = offset[ch * P + p];
        ox = offset[(ch + 1) * P + p];
    }
    Sample s;
    s.y0 = 0;
    s.x0 = 0;
    s.ly = 0.0f;
    s.lx = 0.0f;
    s.hy = 1.0f;
    s.hx = 1.0f;
    s.sy = 1.0f;
    s.sx = 1.0f;
    const int ky = axis_cell(by, oy, H, DCNV1, &s.y0, &s.ly, &s.hy, &s.sy);
    const int kx = axis_cell(bx, ox, W, DCNV1, &s.x0, &s.lx, &s.hx, &s.sx);
    s.kind = (ky == 1 || kx == 1) ? SAMPLE_NAN : (ky == 2 && kx == 2) ? SAMPLE_CELL : SAMPLE_OUTSIDE;
    return s;
}

/* Whether a SAMPLE_CELL sample reads a value: Bilinear.inside, i.e. not on the lines py = -1, px = -1
 * (never the case under DCNV1, whose cells start at 0). */
inline int reads_value(const Sample s)
{
    return !((s.y0 == -1 && s.ly == 0.0f) || (s.x0 == -1 && s.lx == 0.0f));
}

inline float pixel(__global const float* plane, const int H, const int W, const int y, const int x)
{
    return (y >= 0 && y < H && x >= 0 && x < W) ? plane[y * W + x] : 0.0f;
}

/* The four corners of the cell [floor(p), floor(p)+1] (a corner outside the image is 0) and the
 * fractional position inside it: Bilinear.value / slopeY / slopeX share these. */
typedef struct {
    float v00, v01, v10, v11, ly, lx, hy, hx;
} Cell;

inline float cell_value(const Cell c)
{
    return c.hy * c.hx * c.v00 + c.hy * c.lx * c.v01 + c.ly * c.hx * c.v10 + c.ly * c.lx * c.v11;
}

/* d value / d py on the cell: the right derivative at integer coordinates, as torchvision. */
inline float cell_slope_y(const Cell c)
{
    return c.hx * (c.v10 - c.v00) + c.lx * (c.v11 - c.v01);
}

inline float cell_slope_x(const Cell c)
{
    return c.hy * (c.v01 - c.v00) + c.ly * (c.v11 - c.v10);
}

/*
 * Forward sampling in two steps. Where a sample lands depends on (image, offset group, kernel
 * point, output pixel) but not on the channel, so sample_table computes it once per sample: the
 * plane indices of the four corners of the cell [floor(p), floor(p)+1] (-1 for a corner outside
 * the image, or for every corner when the point reads nothing: Bilinear.value) and their bilinear
 * weights (NaN for a NaN coordinate: DESIGN.md "Non-finite values"). deform_im2col then only blends
 * four pixels per column element and multiplies by the mask, after the blend as the reference does
 * (an infinite mask times a zero-weight corner must not give NaN where the reference has +-inf).
 * NDRange (P, K, Q*OG); entry e = ((q*OG + og)*K + k)*P + p.
 */
__kernel void sample_table(__global const float* offset, __global int4* corner, __global float4* weight,
                           const int16 g, const int n0, const int Q)
{
    UNPACK(g)
    const int p = get_global_id(0), k = get_global_id(1), t = get_global_id(2);
    if (p >= P) return;
    const int og = t % OG, q = t / OG, n = n0 + q;
    const Sample s = sample_point(offset, g, n, og, k, p);
    const int e = (t * K + k) * P + p;
    if (s.kind != SAMPLE_CELL || !reads_value(s)) {
        corner[e] = (int4) (-1);
        weight[e] = (float4) (s.kind == SAMPLE_NAN ? NAN : 0.0f);
        return;
    }
    const int y0 = s.y0, x0 = s.x0;
    const float ly = s.ly, lx = s.lx, hy = s.hy, hx = s.hx;
    const int y0in = y0 >= 0, y1in = y0 + 1 < H, x0in = x0 >= 0, x1in = x0 + 1 < W;
    corner[e] = (int4) (y0in && x0in ? y0 * W + x0 : -1, y0in && x1in ? y0 * W + x0 + 1 : -1,
                        y1in && x0in ? (y0 + 1) * W + x0 : -1, y1in && x1in ? (y0 + 1) * W + x0 + 1 : -1);
    weight[e] = (float4) (hy * hx, hy * lx, ly * hx, ly * lx);
}

/* Bilinear im2col: cols[c*K + k, q*P + p] = mask * bilinear(input[n0+q, c], py, px), from the
 * sample table. One work-item per table entry and block of CB channels of its offset group (the
 * entry is read once for the block); NDRange (P, K, Q*OG*blocks), blocks = ceil((C/OG) / CB).
 * A corner outside the image counts as 0 and is multiplied like the others (weight * 0), so that a
 * NaN weight gives NaN and a finite one 0, as in the reference. */
__kernel void deform_im2col(__global const float* input, __global const int4* corner,
                            __global const float4* weight, __global const float* mask, __global float* cols,
                            const int16 g, const int n0, const int Q, const int CB)
{
    UNPACK(g)
    const int p = get_global_id(0), k = get_global_id(1), z = get_global_id(2);
    if (p >= P) return;
    const int blocks = (CPOG + CB - 1) / CB;
    const int b = z % blocks, t = z / blocks;      /* t = q*OG + og */
    const int og = t % OG, q = t / OG;
    const int L = Q * P;
    const int e = (t * K + k) * P + p;
    const int4 i = corner[e];
    const float4 w = weight[e];
    const float m = HAS_MASK ? mask[((n0 * OG + t) * K + k) * P + p] : 1.0f;
    const int c0 = og * CPOG + b * CB, c1 = min(c0 + CB, (og + 1) * CPOG);
    __global const float* plane = input + ((n0 + q) * C + c0) * H * W;
    __global float* out = cols + (c0 * K + k) * L + q * P + p;
    for (int c = c0; c < c1; c++) {
        float v = w.s0 * (i.s0 >= 0 ? plane[i.s0] : 0.0f);
        v += w.s1 * (i.s1 >= 0 ? plane[i.s1] : 0.0f);
        v += w.s2 * (i.s2 >= 0 ? plane[i.s2] : 0.0f);
        v += w.s3 * (i.s3 >= 0 ? plane[i.s3] : 0.0f);
        *out = HAS_MASK ? v * m : v;
        plane += H * W;
        out += K * L;
    }
}

/* gradBias[o] = sum over n, then pixels, of gradOutput[n, o, :]: one work-item per o. */
__kernel void bias_grad(__global const float* gradOut, __global float* gradBias, const int N, const int O,
                        const int P)
{
    const int o = get_global_id(0);
    if (o >= O) return;
    float total = 0.0f;
    for (int n = 0; n < N; n++) {
        __global const float* row = gradOut + (n * O + o) * P;
        float s = 0.0f;
        for (int p = 0; p < P; p++) s += row[p];
        total += s;
    }
    gradBias[o] = total;
}

/*
 * Input gradient without atomics on floats. A sample (kernel point k, output pixel p) of offset
 * group og lies in the cell (floor(py), floor(px)); its gradient goes to the cell's four corners.
 * The samples of each (image, offset group) t are bucketed by cell with the counting sort of
 * buckets.cl, and one work-item per input pixel sums the samples of the four cells it is a corner
 * of, cell by cell, each in ascending sample order: a fixed order, so the result is deterministic.
 * Sample g = t*S + s (s = k*P + p); its cell key t*NC + (cy + 1)*(W + 1) + (cx + 1) for cy in
 * [-1, H-1], cx in [-1, W-1] (NC = (H + 1)*(W + 1)).
 */

/* One work-item per sample, NDRange (P, K, Q*OG): cell key (or -1: reads nothing), fractions, the
 * sample's column in the column buffers, and the bucket count (starts zeroed beforehand). */
__kernel void cells_count(__global const float* offset, __global int* keys, __global float* frac,
                          __global int* column, __global int* starts, const int16 g, const int n0, const int Q)
{
    UNPACK(g)
    const int p = get_global_id(0), k = get_global_id(1), t = get_global_id(2);
    if (p >= P) return;
    const int og = t % OG, q = t / OG;
    const int S = K * P, NC = (H + 1) * (W + 1);
    const int gs = t * S + k * P + p;
    const Sample smp = sample_point(offset, g, n0 + q, og, k, p);
    int key = -1;
    float ly = 0.0f, lx = 0.0f, hy = 1.0f, hx = 1.0f;
    /* Only samples that read the image send gradient to it (Bilinear.scatter); a NaN one none. */
    if (smp.kind == SAMPLE_CELL && reads_value(smp)) {
        ly = smp.ly;
        lx = smp.lx;
        hy = smp.hy;
        hx = smp.hx;
        key = t * NC + (smp.y0 + 1) * (W + 1) + (smp.x0 + 1);
        atomic_inc(&starts[key]);
    }
    keys[gs] = key;
    frac[4 * gs] = ly;
    frac[4 * gs + 1] = lx;
    frac[4 * gs + 2] = hy;
    frac[4 * gs + 3] = hx;
    column[gs] = k * (Q * P) + q * P + p;
}

/* gradInput[n0+q, c, y, x] = sum over the samples of the four cells having (y, x) as a corner of
 * mask * gradCols * bilinear weight (the adjoint of Bilinear.value). One work-item per pixel and
 * block of up to CBMAX channels of one offset group (the bucket walk is shared by the block),
 * NDRange (H*W, OG*blocks, Q), blocks = ceil((C/OG) / CB). */
#define CBMAX 16
__kernel void col2im_gather(__global const float* gradCols, __global const float* mask,
                            __global const int* starts, __global const int* list, __global const float* frac,
                            __global const int* column, __global float* gradInput,
                            const int16 g, const int n0, const int Q, const int CB)
{
    UNPACK(g)
    const int pix = get_global_id(0), z = get_global_id(1), q = get_global_id(2);
    if (pix >= H * W) return;
    const int blocks = (CPOG + CB - 1) / CB;
    const int og = z / blocks, b = z % blocks;
    const int c0 = og * CPOG + b * CB, cn = min(CB, (og + 1) * CPOG - c0);
    const int y = pix / W, x = pix % W;
    const int S = K * P, NC = (H + 1) * (W + 1), L = Q * P;
    const int n = n0 + q, t = q * OG + og;
    __global const int* st = starts + t * NC;
    __global const float* gc = gradCols + c0 * K * L;
    __global const float* mk = mask + n0 * OG * S; /* mask[n0+q, og*K + k, p] = mk[t*S + s] */
    const int rowStride = K * L;
    float acc[CBMAX];
    for (int j = 0; j < CBMAX; j++) acc[j] = 0.0f;
    /* Cell (y-1+dy, x-1+dx): the pixel is its corner (1-dy, 1-dx), weight ly or 1-ly, lx or 1-lx. */
    for (int d = 0; d < 4; d++) {
        const int dy = d >> 1, dx = d & 1;
        const int key = (y + dy) * (W + 1) + (x + dx);
        const int end = st[key + 1];
        for (int e = st[key]; e < end; e++) {
            const int gs = list[e];
            const float ly = frac[4 * gs], lx = frac[4 * gs + 1], hy = frac[4 * gs + 2], hx = frac[4 * gs + 3];
            float wgt = (dy ? hy : ly) * (dx ? hx : lx);
            /* A corner of zero bilinear weight receives nothing, not 0 * grad (DESIGN.md
             * "Non-finite values"; torchvision's deformable_col2im). */
            if (wgt == 0.0f) continue;
            if (HAS_MASK) wgt *= mk[gs];
            __global const float* v = gc + column[gs];
            for (int j = 0; j < cn; j++) acc[j] += v[j * rowStride] * wgt;
        }
    }
    __global float* out = gradInput + ((n * C + c0) * H + y) * W + x;
    for (int j = 0; j < cn; j++) out[j * H * W] = acc[j];
}

/* Offset and mask gradients: one work-item per sample (q, og, k, p) sums over the channels of its
 * offset group in order: d/d offset = mask * sum_c gradCols * slope (Bilinear.slopeY/X, non-zero
 * wherever the cell touches the image), d/d mask = sum_c gradCols * value (Bilinear.value).
 * The cell's corner indices are found once (-1 outside the image); per channel only four reads.
 * NDRange (P, K, Q*OG). */
__kernel void offset_mask_grad(__global const float* input, __global const float* offset,
                               __global const float* mask, __global const float* gradCols,
                               __global float* gradOffset, __global float* gradMask,
                               const int16 g, const int n0, const int Q, const int want)
{
    UNPACK(g)
    const int p = get_global_id(0), k = get_global_id(1), t = get_global_id(2);
    if (p >= P) return;
    const int og = t % OG, q = t / OG;
    const int L = Q * P;
    const int n = n0 + q;
    const Sample smp = sample_point(offset, g, n, og, k, p);
    const int sample = (n * OG + og) * K + k;
    const float m = HAS_MASK ? mask[sample * P + p] : 1.0f;
    /* Term by term as the reference (DESIGN.md "Non-finite values"): gy = sum_c (gc * m) * slope,
     * gm = sum_c gc * value, with slope and value 0 outside the image and NaN at a NaN coordinate. */
    float gy = 0.0f, gx = 0.0f, gm = 0.0f;
    __global const float* gcol = gradCols + (og * CPOG * K + k) * L + q * P + p;
    if (smp.kind == SAMPLE_CELL) {
        const int y0 = smp.y0, x0 = smp.x0;
        const int y0in = y0 >= 0, y1in = y0 + 1 < H, x0in = x0 >= 0, x1in = x0 + 1 < W;
        const int i00 = y0in && x0in ? y0 * W + x0 : -1, i01 = y0in && x1in ? y0 * W + x0 + 1 : -1;
        const int i10 = y1in && x0in ? (y0 + 1) * W + x0 : -1, i11 = y1in && x1in ? (y0 + 1) * W + x0 + 1 : -1;
        /* The value (mask gradient) is read only where Bilinear.value reads: not on p = -1. */
        const int readsValue = reads_value(smp);
        __global const float* plane = input + (n * C + og * CPOG) * H * W;
        for (int c = 0; c < CPOG; c++) {
            const float gc = *gcol;
            Cell cell;
            cell.ly = smp.ly;
            cell.lx = smp.lx;
            cell.hy = smp.hy;
            cell.hx = smp.hx;
            cell.v00 = i00 >= 0 ? plane[i00] : 0.0f;
            cell.v01 = i01 >= 0 ? plane[i01] : 0.0f;
            cell.v10 = i10 >= 0 ? plane[i10] : 0.0f;
            cell.v11 = i11 >= 0 ? plane[i11] : 0.0f;
            /* Slope 0 along a coordinate moved onto the last row/column (DCNV1): gc * m * 0. */
            gy += gc * m * (smp.sy != 0.0f ? cell_slope_y(cell) : 0.0f);
            gx += gc * m * (smp.sx != 0.0f ? cell_slope_x(cell) : 0.0f);
            gm += gc * (readsValue ? cell_value(cell) : 0.0f);
            plane += H * W;
            gcol += K * L;
        }
    } else {
        const float slope = smp.kind == SAMPLE_NAN ? NAN : 0.0f;
        for (int c = 0; c < CPOG; c++) {
            const float gc = *gcol;
            gy += gc * m * slope;
            gm += gc * slope;
            gcol += K * L;
        }
        gx = gy;
    }
    if (want & 1) {
        gradOffset[(2 * sample) * P + p] = gy;
        gradOffset[(2 * sample + 1) * P + p] = gx;
    }
    if (want & 2) gradMask[sample * P + p] = gm;
}

/* rows[o, q*P + p] = gradOut[n0+q, o, p]: the chunk's output gradient as a row-major [O, Q*P]
 * matrix (the right-hand operand of the column gradient). NDRange (P, Q, O). */
__kernel void gather_rows(__global const float* gradOut, __global float* rows, const int n0, const int Q,
                          const int O, const int P)
{
    const int p = get_global_id(0), q = get_global_id(1), o = get_global_id(2);
    if (p >= P) return;
    rows[(o * Q + q) * P + p] = gradOut[((n0 + q) * O + o) * P + p];
}

/* cols[q*P + p, o] = gradOut[n0+q, o, p]: the chunk's output gradient as a row-major [Q*P, O]
 * matrix (the right-hand operand of the weight gradient). NDRange (P, O, Q). */
__kernel void gather_cols(__global const float* gradOut, __global float* cols, const int n0, const int Q,
                          const int O, const int P)
{
    const int p = get_global_id(0), o = get_global_id(1), q = get_global_id(2);
    if (p >= P) return;
    cols[(q * P + p) * O + o] = gradOut[((n0 + q) * O + o) * P + p];
}
