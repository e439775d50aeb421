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
 *   px = x*sw - pw + j*dw + offset[n, 2*(og*K + k) + 1, y, x] */
inline void sample_point(__global const float* offset, const int16 g, const int n, const int og, const int k,
                         const int p, float* py, float* px)
{
    UNPACK(g)
    const int y = p / WO, x = p % WO, i = k / KW, j = k % KW;
    float sy = (float) (y * SH - PH + i * DH);
    float sx = (float) (x * SW - PW + j * DW);
    if (HAS_OFFSET) {
        const int ch = 2 * ((n * OG + og) * K + k);
        sy += offset[ch * P + p];
        sx += offset[(ch + 1) * P + p];
    }
    *py = sy;
    *px = sx;
}

/* Whether (py, px) reads anything: Bilinear.inside (a NaN coordinate reads nothing). */
inline int inside(const float py, const float px, const int H, const int W)
{
    return py > -1.0f && py < (float) H && px > -1.0f && px < (float) W;
}

/* Whether the cell [floor(p), floor(p)+1] has a corner in the image: Bilinear.cellTouchesImage.
 * Wider than inside() by the lines py = -1 and px = -1, where the value is 0 but the right
 * derivative is not (row or column 0 enters the cell [-1, 0]). */
inline int cell_touches(const float py, const float px, const int H, const int W)
{
    return py >= -1.0f && py < (float) H && px >= -1.0f && px < (float) W;
}

/* Whether (py, px) reads anything under the border rule (DESIGN.md "Border rules"): torchvision's
 * inside(), or DCNV1's 0 <= p < size on both axes (Dcnv1Bilinear.outside; a NaN coordinate reads, and
 * its NaN fraction propagates). */
inline int reads(const float py, const float px, const int H, const int W, const int dcnv1)
{
    if (dcnv1) return !(py < 0.0f || py >= (float) H || px < 0.0f || px >= (float) W);
    return inside(py, px, H, W);
}

/* One axis of the cell of coordinate p: returns the low corner floor(p), with the fraction p - floor(p)
 * and the factor of the slope along this axis (1). Under DCNV1 a coordinate with floor(p) >= size-1 is
 * moved onto size-1: fraction 0 (the second corner, outside, weighs 0) and slope factor 0, as the
 * official get_coordinate_weight (Dcnv1Bilinear). A NaN coordinate gets corner 0 and a NaN fraction. */
inline int axis_cell(const float p, const int size, const int dcnv1, float* frac, float* slope)
{
    const float f = floor(p);
    *slope = 1.0f;
    if (isnan(p)) {
        *frac = p;
        return 0;
    }
    if (dcnv1 && f >= (float) (size - 1)) {
        *frac = 0.0f;
        *slope = 0.0f;
        return size - 1;
    }
    *frac = p - f;
    return (int) f;
}

inline float pixel(__global const float* plane, const int H, const int W, const int y, const int x)
{
    return (y >= 0 && y < H && x >= 0 && x < W) ? plane[y * W + x] : 0.0f;
}

/* The four corners of the cell [floor(p), floor(p)+1] (a corner outside the image is 0) and the
 * fractional position inside it: Bilinear.value / slopeY / slopeX share these. Call only where
 * cell_touches(), so that the int conversions are in range. */
typedef struct {
    float v00, v01, v10, v11, ly, lx;
} Cell;

inline Cell cell_at(__global const float* plane, const int H, const int W, const float py, const float px)
{
    Cell c;
    const float fy = floor(py), fx = floor(px);
    const int y0 = (int) fy, x0 = (int) fx;
    c.ly = py - fy;
    c.lx = px - fx;
    c.v00 = pixel(plane, H, W, y0, x0);
    c.v01 = pixel(plane, H, W, y0, x0 + 1);
    c.v10 = pixel(plane, H, W, y0 + 1, x0);
    c.v11 = pixel(plane, H, W, y0 + 1, x0 + 1);
    return c;
}

inline float cell_value(const Cell c)
{
    return (1.0f - c.ly) * (1.0f - c.lx) * c.v00 + (1.0f - c.ly) * c.lx * c.v01
         + c.ly * (1.0f - c.lx) * c.v10 + c.ly * c.lx * c.v11;
}

/* d value / d py on the cell: the right derivative at integer coordinates, as torchvision. */
inline float cell_slope_y(const Cell c)
{
    return (1.0f - c.lx) * (c.v10 - c.v00) + c.lx * (c.v11 - c.v01);
}

inline float cell_slope_x(const Cell c)
{
    return (1.0f - c.ly) * (c.v01 - c.v00) + c.ly * (c.v11 - c.v10);
}

/*
 * Forward sampling in two steps. Where a sample lands depends on (image, offset group, kernel
 * point, output pixel) but not on the channel, so sample_table computes it once per sample: the
 * plane indices of the four corners of the cell [floor(p), floor(p)+1] (-1 for a corner outside
 * the image, or for every corner when the point reads nothing: Bilinear.value) and their bilinear
 * weights times the mask. deform_im2col then only blends four pixels per column element.
 * NDRange (P, K, Q*OG); entry e = ((q*OG + og)*K + k)*P + p.
 */
__kernel void sample_table(__global const float* offset, __global const float* mask, __global int4* corner,
                           __global float4* weight, const int16 g, const int n0, const int Q)
{
    UNPACK(g)
    const int p = get_global_id(0), k = get_global_id(1), t = get_global_id(2);
    if (p >= P) return;
    const int og = t % OG, q = t / OG, n = n0 + q;
    float py, px;
    sample_point(offset, g, n, og, k, p, &py, &px);
    const int e = (t * K + k) * P + p;
    if (!reads(py, px, H, W, DCNV1)) {
        corner[e] = (int4) (-1);
        weight[e] = (float4) (0.0f);
        return;
    }
    float ly, lx, sy, sx;
    const int y0 = axis_cell(py, H, DCNV1, &ly, &sy), x0 = axis_cell(px, W, DCNV1, &lx, &sx);
    const int y0in = y0 >= 0, y1in = y0 + 1 < H, x0in = x0 >= 0, x1in = x0 + 1 < W;
    const float m = HAS_MASK ? mask[((n * OG + og) * K + k) * P + p] : 1.0f;
    corner[e] = (int4) (y0in && x0in ? y0 * W + x0 : -1, y0in && x1in ? y0 * W + x0 + 1 : -1,
                        y1in && x0in ? (y0 + 1) * W + x0 : -1, y1in && x1in ? (y0 + 1) * W + x0 + 1 : -1);
    weight[e] = (float4) ((1.0f - ly) * (1.0f - lx), (1.0f - ly) * lx, ly * (1.0f - lx), ly * lx) * m;
}

/* Bilinear im2col: cols[c*K + k, q*P + p] = mask * bilinear(input[n0+q, c], py, px), from the
 * sample table. One work-item per table entry and block of CB channels of its offset group (the
 * entry is read once for the block); NDRange (P, K, Q*OG*blocks), blocks = ceil((C/OG) / CB).
 * A corner outside the image is skipped, never multiplied (a non-finite pixel elsewhere must not
 * leak in). */
__kernel void deform_im2col(__global const float* input, __global const int4* corner,
                            __global const float4* weight, __global float* cols,
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
    const int c0 = og * CPOG + b * CB, c1 = min(c0 + CB, (og + 1) * CPOG);
    __global const float* plane = input + ((n0 + q) * C + c0) * H * W;
    __global float* out = cols + (c0 * K + k) * L + q * P + p;
    for (int c = c0; c < c1; c++) {
        float v = 0.0f;
        if (i.s0 >= 0) v += w.s0 * plane[i.s0];
        if (i.s1 >= 0) v += w.s1 * plane[i.s1];
        if (i.s2 >= 0) v += w.s2 * plane[i.s2];
        if (i.s3 >= 0) v += w.s3 * plane[i.s3];
        *out = v;
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
    float py, px;
    sample_point(offset, g, n0 + q, og, k, p, &py, &px);
    int key = -1;
    float ly = 0.0f, lx = 0.0f;
    if (reads(py, px, H, W, DCNV1)) {
        float sy, sx;
        const int y0 = axis_cell(py, H, DCNV1, &ly, &sy), x0 = axis_cell(px, W, DCNV1, &lx, &sx);
        key = t * NC + (y0 + 1) * (W + 1) + (x0 + 1);
        atomic_inc(&starts[key]);
    }
    keys[gs] = key;
    frac[2 * gs] = ly;
    frac[2 * gs + 1] = lx;
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
            const float ly = frac[2 * gs], lx = frac[2 * gs + 1];
            float wgt = (dy ? 1.0f - ly : ly) * (dx ? 1.0f - lx : lx);
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
    float py, px;
    sample_point(offset, g, n, og, k, p, &py, &px);
    float gy = 0.0f, gx = 0.0f, gm = 0.0f, sy = 1.0f, sx = 1.0f;
    /* Under DCNV1 the slopes too are taken only where the point reads (get_coordinate_weight). */
    if (DCNV1 ? reads(py, px, H, W, 1) : cell_touches(py, px, H, W)) {
        float ly, lx;
        const int y0 = axis_cell(py, H, DCNV1, &ly, &sy), x0 = axis_cell(px, W, DCNV1, &lx, &sx);
        const int y0in = y0 >= 0, y1in = y0 + 1 < H, x0in = x0 >= 0, x1in = x0 + 1 < W;
        const int i00 = y0in && x0in ? y0 * W + x0 : -1, i01 = y0in && x1in ? y0 * W + x0 + 1 : -1;
        const int i10 = y1in && x0in ? (y0 + 1) * W + x0 : -1, i11 = y1in && x1in ? (y0 + 1) * W + x0 + 1 : -1;
        /* The value (mask gradient) is read only where the value reads: reads(). */
        const int readsValue = reads(py, px, H, W, DCNV1);
        __global const float* plane = input + (n * C + og * CPOG) * H * W;
        __global const float* gcol = gradCols + (og * CPOG * K + k) * L + q * P + p;
        for (int c = 0; c < CPOG; c++) {
            const float gc = *gcol;
            Cell cell;
            cell.ly = ly;
            cell.lx = lx;
            cell.v00 = i00 >= 0 ? plane[i00] : 0.0f;
            cell.v01 = i01 >= 0 ? plane[i01] : 0.0f;
            cell.v10 = i10 >= 0 ? plane[i10] : 0.0f;
            cell.v11 = i11 >= 0 ? plane[i11] : 0.0f;
            gy += gc * cell_slope_y(cell);
            gx += gc * cell_slope_x(cell);
            if (readsValue) gm += gc * cell_value(cell);
            plane += H * W;
            gcol += K * L;
        }
    }
    const int sample = (n * OG + og) * K + k;
    if (want & 1) {
        const float m = HAS_MASK ? mask[sample * P + p] : 1.0f;
        /* No slope along a coordinate moved onto the last row/column (DCNV1): 0, not 0 * gy. */
        gradOffset[(2 * sample) * P + p] = sy != 0.0f ? gy * m : 0.0f;
        gradOffset[(2 * sample + 1) * P + p] = sx != 0.0f ? gx * m : 0.0f;
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
