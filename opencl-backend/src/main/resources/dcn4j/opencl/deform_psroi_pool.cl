/*
 * dcn4j: deformable position-sensitive RoI pooling kernels for the OpenCL backend (OpenCL C 1.2,
 * float32), following the official MXNet DeformablePSROIPooling kernels (DESIGN.md "Deformable PS
 * RoI pooling"; paper eq. 5-7; float64 oracle dcn4j.reference.ReferenceDeformPsRoiPool).
 *
 * The per-RoI geometry is computed on the host in float64 by dcn4j.spi.PooledRoi, as for every backend (corners
 * rounded half away from zero, scaled, shifted by -0.5, size at least 0.1) and passed as floats,
 * HALVED, so that a finite RoI spanning the whole float range (x1 = -3e38, x2 = 3e38: roi_w = 6e38)
 * stays finite in float32 instead of giving inf and then 0 * inf = NaN:
 *   geo[r*8 + 0..7] = (start_w, start_h, roi_w, roi_h, bin_w, bin_h, sub_w, sub_h) / 2
 * Positions are computed in halves and doubled last (sample_at). Scaling by 2 commutes with float
 * rounding, so every position is bit-identical to computing with the whole values wherever those
 * do not overflow; where the doubled position overflows it is far outside the image either way.
 * and ints: tab[0..P) part cell of a bin row/column, tab[P..2P) position-sensitive group of a bin
 * row/column, tab[2P + r] batch index of RoI r.
 *
 * The int16 g holds: s0 N, s1 C, s2 H, s3 W, s4 outputDim, s5 groupSize, s6 pooledSize,
 * s7 partSize, s8 samplePerPart, s9 R, sa numClasses, sb hasOffset; transStd is a float argument.
 *
 * No float atomics: each output, input-gradient and offset-gradient element is owned by one
 * work-item that sums its terms in a fixed order, so results are bit-identical run to run (the
 * input gradient finds its terms through the integer counting sort of buckets.cl).
 */

#define UNPACK(g) \
    const int N = (g).s0, C = (g).s1, H = (g).s2, W = (g).s3, OD = (g).s4, G = (g).s5, P = (g).s6; \
    const int PART = (g).s7, SPP = (g).s8, R = (g).s9, NCLS = (g).sa, HAS_OFFSET = (g).sb; \
    const int CEC = OD / NCLS; \
    (void) N; (void) C; (void) H; (void) W; (void) OD; (void) G; (void) P; (void) PART; (void) SPP; \
    (void) R; (void) NCLS; (void) HAS_OFFSET; (void) CEC;

/* Top-left sample of bin (ph, pw) of RoI r for output channel ctop, moved by the offset of its
 * class and part cell: wstart = pw*bin_w + start_w + transStd*offset_x*roi_w (same for h), as a
 * half (see the header); sample_at doubles it. */
inline void bin_start(__global const float* geo, __global const int* tab, __global const float* offset,
                      const int16 g, const float transStd, const int r, const int ctop, const int ph,
                      const int pw, float* wstart, float* hstart)
{
    UNPACK(g)
    __global const float* q = geo + r * 8;
    float tx = 0.0f, ty = 0.0f;
    if (HAS_OFFSET) {
        const int cls = ctop / CEC;
        const int partH = tab[ph], partW = tab[pw];
        tx = offset[((r * 2 * NCLS + 2 * cls) * PART + partH) * PART + partW] * transStd;
        ty = offset[((r * 2 * NCLS + 2 * cls + 1) * PART + partH) * PART + partW] * transStd;
    }
    float ws = (float) pw * q[4] + q[0];
    float hs = (float) ph * q[5] + q[1];
    if (HAS_OFFSET) {
        ws += tx * q[2];
        hs += ty * q[3];
    }
    *wstart = ws;
    *hstart = hs;
}

/* Sample i of a bin from its half start and half step: 2 * (start + i * step). */
inline float sample_at(const float startHalf, const int i, const float stepHalf)
{
    return 2.0f * (startHalf + (float) i * stepHalf);
}

/* Whether sample (h, w) is taken: the official kernel skips [-0.5, W-0.5] x [-0.5, H-0.5]'s outside. */
inline int taken(const float w, const float h, const int H, const int W)
{
    return !(w < -0.5f || w > (float) W - 0.5f || h < -0.5f || h > (float) H - 0.5f);
}

/* Samples taken in a bin: the divisor of the mean. */
inline int bin_count(const float wstart, const float hstart, const float subW, const float subH, const int SPP,
                     const int H, const int W)
{
    int count = 0;
    for (int ih = 0; ih < SPP; ih++)
        for (int iw = 0; iw < SPP; iw++)
            count += taken(sample_at(wstart, iw, subW), sample_at(hstart, ih, subH), H, W);
    return count;
}

/* Clamps a taken coordinate into [0, hi]; a NaN stays NaN (as Java's Math.min/max in the
 * reference; OpenCL's fmin/fmax would drop it). */
inline float clamp_taken(const float v, const float hi)
{
    return v < 0.0f ? 0.0f : (v > hi ? hi : v);
}

/* floor / ceil as a pixel index; a NaN coordinate indexes 0, as Java's (int) conversion in the
 * reference, so the fraction (and the result) is NaN and no index is ever out of range. */
inline int lo_index(const float v)
{
    return isnan(v) ? 0 : (int) floor(v);
}

inline int hi_index(const float v)
{
    return isnan(v) ? 0 : (int) ceil(v);
}

/* The official bilinear_interp: corners floor/ceil of the (clamped) point. */
inline float interp(__global const float* plane, const int W, const float x, const float y)
{
    const int x1 = lo_index(x), x2 = hi_index(x), y1 = lo_index(y), y2 = hi_index(y);
    const float dx = x - (float) x1, dy = y - (float) y1;
    const float v11 = plane[y1 * W + x1], v12 = plane[y2 * W + x1];
    const float v21 = plane[y1 * W + x2], v22 = plane[y2 * W + x2];
    return (1.0f - dx) * (1.0f - dy) * v11 + (1.0f - dx) * dy * v12 + dx * (1.0f - dy) * v21 + dx * dy * v22;
}

/* Forward: one work-item per output (r, ctop, ph, pw); the mean of the samples taken, 0 if none. */
__kernel void psroi_forward(__global const float* input, __global const float* offset,
                            __global const float* geo, __global const int* tab, __global float* out,
                            const int16 g, const float transStd)
{
    UNPACK(g)
    const int gid = get_global_id(0);
    if (gid >= R * OD * P * P) return;
    const int pw = gid % P, ph = (gid / P) % P, ctop = (gid / (P * P)) % OD, r = gid / (P * P * OD);
    __global const float* q = geo + r * 8;
    float wstart, hstart;
    bin_start(geo, tab, offset, g, transStd, r, ctop, ph, pw, &wstart, &hstart);
    const int gh = tab[P + ph], gw = tab[P + pw];
    const int c = (ctop * G + gh) * G + gw;
    __global const float* plane = input + (tab[2 * P + r] * C + c) * H * W;
    float sum = 0.0f;
    int count = 0;
    for (int ih = 0; ih < SPP; ih++) {
        for (int iw = 0; iw < SPP; iw++) {
            float w = sample_at(wstart, iw, q[6]);
            float h = sample_at(hstart, ih, q[7]);
            if (!taken(w, h, H, W)) continue;
            w = clamp_taken(w, (float) (W - 1));
            h = clamp_taken(h, (float) (H - 1));
            sum += interp(plane, W, w, h);
            count++;
        }
    }
    out[gid] = count == 0 ? 0.0f : sum / (float) count;
}

/*
 * Input gradient by gathering, without float atomics. Every sample of the backward (a taken
 * sample of a bin with its output gradient / count) lands, after clamping, in the pixel cell
 * (floor(h), floor(w)) of its score map; the samples are bucketed by (image, channel, cell) with
 * the counting sort of buckets.cl, and one work-item per input element sums the samples of the
 * four cells it can be a corner of, cell by cell, each in ascending sample order (a fixed order:
 * deterministic). Sample s of RoI chunk [r0, r0 + RC) is
 *   s = ((((r - r0)*OD + ctop)*P + ph)*P + pw)*SPP^2 + ih*SPP + iw,
 * the official kernel's order; its bin b = s / SPP^2.
 */

/* One work-item per bin of the chunk: its gradient share gradOut/count, and for each of its
 * samples the cell key (-1 when not taken), the fractions dx, dy and the bucket count. */
__kernel void psroi_samples(__global const float* gradOut, __global const float* offset,
                            __global const float* geo, __global const int* tab, __global int* keys,
                            __global float* frac, __global float* diffs, __global int* starts,
                            const int16 g, const float transStd, const int r0, const int RC)
{
    UNPACK(g)
    const int bin = get_global_id(0);
    if (bin >= RC * OD * P * P) return;
    const int pw = bin % P, ph = (bin / P) % P, ctop = (bin / (P * P)) % OD, r = r0 + bin / (P * P * OD);
    __global const float* q = geo + r * 8;
    const float subW = q[6], subH = q[7];
    float wstart, hstart;
    bin_start(geo, tab, offset, g, transStd, r, ctop, ph, pw, &wstart, &hstart);
    const int count = bin_count(wstart, hstart, subW, subH, SPP, H, W);
    diffs[bin] = count == 0 ? 0.0f : gradOut[((r * OD + ctop) * P + ph) * P + pw] / (float) count;
    const int c = (ctop * G + tab[P + ph]) * G + tab[P + pw];
    const int plane = (tab[2 * P + r] * C + c) * H;
    for (int ih = 0; ih < SPP; ih++) {
        for (int iw = 0; iw < SPP; iw++) {
            const int s = bin * SPP * SPP + ih * SPP + iw;
            float w = sample_at(wstart, iw, subW);
            float h = sample_at(hstart, ih, subH);
            if (!taken(w, h, H, W)) {
                keys[s] = -1;
                continue;
            }
            w = clamp_taken(w, (float) (W - 1));
            h = clamp_taken(h, (float) (H - 1));
            const int x0 = lo_index(w), y0 = lo_index(h);
            frac[2 * s] = w - (float) x0;
            frac[2 * s + 1] = h - (float) y0;
            const int key = (plane + y0) * W + x0;
            keys[s] = key;
            atomic_inc(&starts[key]);
        }
    }
}

/* gradInput[b, c, y, x] (+)= the official backward's terms of every sample whose floor/ceil corners
 * include (y, x): q00 = (1-dx)(1-dy) at (floor h, floor w), q01 = (1-dx) dy at (ceil h, floor w),
 * q10 = dx (1-dy) at (floor h, ceil w), q11 = dx dy at (ceil h, ceil w), each times gradOut/count.
 * ceil = floor + 1 unless the coordinate is an integer (dx = 0) or NaN, where ceil = floor as in
 * the reference (both corners then add to one pixel). One work-item per input element. */
__kernel void psroi_input_gather(__global const int* starts, __global const int* list,
                                 __global const float* frac, __global const float* diffs,
                                 __global float* gradInput, const int16 g, const int accumulate)
{
    UNPACK(g)
    const int gid = get_global_id(0);
    if (gid >= N * C * H * W) return;
    const int x = gid % W, y = (gid / W) % H, plane = gid / (W * H); /* plane = b*C + c */
    float acc = 0.0f;
    for (int d = 0; d < 4; d++) {
        const int cy = y - 1 + (d >> 1), cx = x - 1 + (d & 1);
        if (cy < 0 || cx < 0) continue;
        const int key = (plane * H + cy) * W + cx;
        const int end = starts[key + 1];
        for (int e = starts[key]; e < end; e++) {
            const int s = list[e];
            const float dx = frac[2 * s], dy = frac[2 * s + 1];
            const float diff = diffs[s / (SPP * SPP)];
            const int x1 = dx > 0.0f ? cx + 1 : cx, y1 = dy > 0.0f ? cy + 1 : cy;
            if (cy == y && cx == x) acc += (1.0f - dx) * (1.0f - dy) * diff;
            if (y1 == y && cx == x) acc += (1.0f - dx) * dy * diff;
            if (cy == y && x1 == x) acc += dx * (1.0f - dy) * diff;
            if (y1 == y && x1 == x) acc += dx * dy * diff;
        }
    }
    gradInput[gid] = accumulate ? gradInput[gid] + acc : acc;
}

/*
 * Offset gradient: one work-item per (r, class, partH, partW) sums, over the class's channels and
 * the bins of that part cell, the official kernel's slope at each clamped sample times
 * transStd * roi size (a clamped coordinate has ceil == floor: slope 0).
 */
__kernel void psroi_offset_grad(__global const float* input, __global const float* gradOut,
                                __global const float* offset, __global const float* geo,
                                __global const int* tab, __global float* gradOffset,
                                const int16 g, const float transStd)
{
    UNPACK(g)
    const int gid = get_global_id(0);
    if (gid >= R * NCLS * PART * PART) return;
    const int partW = gid % PART, partH = (gid / PART) % PART, cls = (gid / (PART * PART)) % NCLS;
    const int r = gid / (PART * PART * NCLS);
    __global const float* q = geo + r * 8;
    const float roiW = q[2], roiH = q[3], subW = q[6], subH = q[7];
    const int b = tab[2 * P + r];
    float gx = 0.0f, gy = 0.0f;
    for (int ctop = cls * CEC; ctop < (cls + 1) * CEC; ctop++) {
        for (int ph = 0; ph < P; ph++) {
            if (tab[ph] != partH) continue;
            for (int pw = 0; pw < P; pw++) {
                if (tab[pw] != partW) continue;
                float wstart, hstart;
                bin_start(geo, tab, offset, g, transStd, r, ctop, ph, pw, &wstart, &hstart);
                const int count = bin_count(wstart, hstart, subW, subH, SPP, H, W);
                if (count == 0) continue;
                const float diff = gradOut[((r * OD + ctop) * P + ph) * P + pw] / (float) count;
                const int c = (ctop * G + tab[P + ph]) * G + tab[P + pw];
                __global const float* plane = input + (b * C + c) * H * W;
                for (int ih = 0; ih < SPP; ih++) {
                    for (int iw = 0; iw < SPP; iw++) {
                        float w = sample_at(wstart, iw, subW);
                        float h = sample_at(hstart, ih, subH);
                        if (!taken(w, h, H, W)) continue;
                        w = clamp_taken(w, (float) (W - 1));
                        h = clamp_taken(h, (float) (H - 1));
                        const int x0 = lo_index(w), x1 = hi_index(w), y0 = lo_index(h), y1 = hi_index(h);
                        const float dx = w - (float) x0, dy = h - (float) y0;
                        const float u00 = plane[y0 * W + x0], u01 = plane[y1 * W + x0];
                        const float u10 = plane[y0 * W + x1], u11 = plane[y1 * W + x1];
                        float dX = (u11 * dy + u10 * (1.0f - dy) - u01 * dy - u00 * (1.0f - dy)) * transStd * diff;
                        dX = (dX * roiW) * 2.0f; /* roiW is halved */
                        float dY = (u11 * dx + u01 * (1.0f - dx) - u10 * dx - u00 * (1.0f - dx)) * transStd * diff;
                        dY = (dY * roiH) * 2.0f;
                        gx += dX;
                        gy += dY;
                    }
                }
            }
        }
    }
    gradOffset[((r * 2 * NCLS + 2 * cls) * PART + partH) * PART + partW] = gx;
    gradOffset[((r * 2 * NCLS + 2 * cls + 1) * PART + partH) * PART + partW] = gy;
}
