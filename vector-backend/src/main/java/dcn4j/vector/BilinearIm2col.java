package dcn4j.vector;

import static dcn4j.vector.Sgemm.L;
import static dcn4j.vector.Sgemm.NR;
import static dcn4j.vector.Sgemm.SPECIES;
import static dcn4j.vector.VectorWidth.fma;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Bilinear "im2col" (DESIGN.md "Semantics"): the modulated samples
 * {@code mask * bilinear(input[n, c], py, px)} of a chunk of output pixels, written as the rows of
 * the matrix that multiplies the weights.
 *
 * <p>The input is first copied to a padded channel-last image ({@link #padNhwc}), so that the four
 * corners of a sample are four runs of contiguous channels: one entry of the {@link SampleTable}
 * (corner index and weights, shared by the channels of an offset group) then fills a whole row
 * segment with plain vector loads and FMAs, no gathers. Element {@code (q, k)} of group {@code g}'s matrix is
 * the sample of local pixel {@code q}, kernel point {@code k / Cg}, channel {@code g*Cg + k % Cg} (kernel point
 * major): the forward writes one {@code KC}-deep block of it at a time ({@link #sampleRowsBlock}, row stride
 * {@code KC}), the backward's weight-gradient items a range of its {@code NR}-wide column panels
 * ({@link #sampleColumnPanels}), each just before its product reads them.
 */
final class BilinearIm2col {

    private BilinearIm2col() {
    }

    /**
     * Rows {@code yFrom .. yTo-1} of the padded NHWC copy of {@code input[n]}: padded row {@code r} is
     * image row {@code r-1}; rows 0 and H+1 and the first and last position of each row are zero.
     * Returns whether the image rows copied hold finite values only (the image's
     * {@link SampleTable#inputFinite} is the conjunction over its row blocks): checked here, in parallel and
     * while the rows are read anyway, rather than over the whole input before the first phase.
     */
    static boolean padNhwc(ConvGeometry g, float[] input, int n, float[] padded, int yFrom, int yTo) {
        int c = g.channels, h = g.height, w = g.width, rowLen = g.paddedWidth * c;
        int y0 = Math.max(0, yFrom - 1), y1 = Math.min(h, yTo - 1);
        boolean finite = true;
        for (int ch = 0; ch < c && finite && y1 > y0; ch++) {
            int from = ((n * c + ch) * h + y0) * w;
            finite = SampleTable.allFinite(input, from, from + (y1 - y0) * w);
        }
        for (int r = yFrom; r < yTo; r++) {
            int row = r * rowLen;
            if (r == 0 || r == h + 1) {
                Arrays.fill(padded, row, row + rowLen, 0f);
                continue;
            }
            Arrays.fill(padded, row, row + c, 0f);
            Arrays.fill(padded, row + (w + 1) * c, row + rowLen, 0f);
            int y = r - 1;
            int dst = row + c;
            int src = (n * c * h + y) * w;
            int hw = h * w;
            int ch = 0;
            // Four channel planes at a time: four sequential read streams, short strided writes.
            for (; ch + 4 <= c; ch += 4) {
                int s0 = src + ch * hw, s1 = s0 + hw, s2 = s1 + hw, s3 = s2 + hw;
                for (int x = 0; x < w; x++) {
                    int d = dst + x * c + ch;
                    padded[d] = input[s0 + x];
                    padded[d + 1] = input[s1 + x];
                    padded[d + 2] = input[s2 + x];
                    padded[d + 3] = input[s3 + x];
                }
            }
            for (; ch < c; ch++) {
                int s0 = src + ch * hw;
                for (int x = 0; x < w; x++) padded[dst + x * c + ch] = input[s0 + x];
            }
        }
        return finite;
    }

    /**
     * Column panels {@code kp0 .. kp1-1} of group {@code grp}'s sample columns, for pixels {@code 0 .. count-1} of
     * the table's chunk: element {@code (q, k)}, {@code kp0*NR <= k < min(Kg, kp1*NR)}, at
     * {@code dst[((k/NR - kp0)*rows + q)*NR + k%NR]} (kernel point {@code k / Cg}, channel {@code grp*Cg + k % Cg}).
     * These are the weight gradient's B operand: each weight-gradient item samples the panels it multiplies just
     * before it reads them (DESIGN.md "Vector width and GEMM tiles", "Weight-gradient columns"), the blend of the
     * four corners as {@link #sampleRowsBlock} computes it, so the same bits. The common layer (one group, one offset
     * group, channels a multiple of {@code L}) goes kernel point by kernel point over the range, each entry's
     * set-up shared by all the range's channels of that point; any other layer panel by panel.
     */
    static void sampleColumnPanels(ConvGeometry g, SampleTable table, float[] padded, int count, float[] dst, int grp,
                                   int kp0, int kp1, int rows) {
        int kg = g.groupK;
        if (g.groups == 1 && g.offsetGroups == 1 && g.hasOffset && g.channels % L == 0) {
            columnPanelsOneSegment(g, table, padded, count, dst, kp0 * NR, Math.min(kg, kp1 * NR), rows);
            return;
        }
        for (int kp = kp0; kp < kp1; kp++) {
            int k0 = kp * NR;
            sampleRowsBlock(g, table, padded, count, dst, grp, k0, Math.min(NR, kg - k0), NR, (kp - kp0) * rows * NR);
        }
    }

    /**
     * {@link #sampleColumnPanels} for one group, one offset group and whole vectors of channels: elements
     * {@code k0 <= k < k1} ({@code k0} a multiple of {@code NR}), kernel point by kernel point, the out-of-image and
     * special entries out of the channel loop, and the destination advanced along its panel (a vector never straddles
     * two panels: {@code NR} is a multiple of {@code L}, and so is every {@code k} of a vector).
     */
    private static void columnPanelsOneSegment(ConvGeometry g, SampleTable table, float[] padded, int count,
                                               float[] dst, int k0, int k1, int rows) {
        int c = g.channels, d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane;
        FloatVector zeros = FloatVector.zero(SPECIES);
        for (int kpt = k0 / c; kpt <= (k1 - 1) / c; kpt++) {
            // Channels [cs, ce) of this kernel point fall in the range; channel cs is element ks (from k0).
            int cs = Math.max(0, k0 - kpt * c), ce = Math.min(c, k1 - kpt * c), ks = kpt * c + cs - k0;
            int kp0 = ks / NR, kr0 = ks - kp0 * NR;
            for (int q = 0, e = kpt * table.capacity; q < count; q++, e++) {
                int b = base[e];
                // Element (q, k) lives at ((k/NR)*rows + q)*NR + k%NR, k counted from k0.
                int kp = kp0, kr = kr0, at = (kp * rows + q) * NR + kr;
                if (b == SampleTable.OUTSIDE) {
                    // Zeros, a vector at a time along the panels (many entries where offsets are large).
                    for (int ch = cs; ch < ce; ch += L) {
                        zeros.intoArray(dst, at);
                        kr += L;
                        at += L;
                        if (kr == NR) {
                            kp++;
                            kr = 0;
                            at = (kp * rows + q) * NR;
                        }
                    }
                    continue;
                }
                if (b < 0) {
                    for (int ch = cs; ch < ce; ch++) {
                        int k = ks + ch - cs;
                        dst[((k / NR) * rows + q) * NR + (k & (NR - 1))] = specialValue(g, table, e, padded, ch, d01,
                                d10, d11);
                    }
                    continue;
                }
                FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
                FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                for (int ch = cs; ch < ce; ch += L) {
                    int src = b + ch;
                    FloatVector v = FloatVector.fromArray(SPECIES, padded, src).mul(w00);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d01), w01, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d10), w10, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d11), w11, v);
                    v.intoArray(dst, at);
                    kr += L;
                    at += L;
                    if (kr == NR) {
                        kp++;
                        kr = 0;
                        at = (kp * rows + q) * NR;
                    }
                }
            }
        }
    }

    /**
     * One {@code KC}-deep block of the forward's A operand (the sample rows of group {@code grp}): element
     * {@code (q, k0 + kr)}, {@code kr < kLen}, i.e. kernel point {@code k / Cg} and channel {@code grp*Cg + k % Cg},
     * at {@code block[q*KC + kr]} for {@code q < count}: the blend of the four corners of its {@link SampleTable}
     * entry, zeros outside the image, {@link #specialValue} for special entries. The forward samples each block just
     * before the product reads it, so that the block is written to and read from L2 rather than memory (DESIGN.md
     * "Vector width and GEMM tiles", "Sampling block by block"). Kernel point by kernel point (one plane of the table
     * at a time) and, within one, segment by segment (channels of one offset group).
     */
    static void sampleRowsBlock(ConvGeometry g, SampleTable table, float[] padded, int count, float[] block, int grp,
                                int k0, int kLen) {
        sampleRowsBlock(g, table, padded, count, block, grp, k0, kLen, Sgemm.KC, 0);
    }

    /**
     * {@link #sampleRowsBlock(ConvGeometry, SampleTable, float[], int, float[], int, int, int)} with rows
     * {@code rowStride} floats apart: element {@code (q, k0 + kr)} at {@code block[to + q*rowStride + kr]}. With
     * {@code rowStride = NR} and {@code kLen <= NR} it writes one k panel of the weight gradient's B operand, one
     * panel of {@link #sampleColumnPanels}; {@code to} is where element {@code (0, k0)} goes.
     */
    static void sampleRowsBlock(ConvGeometry g, SampleTable table, float[] padded, int count, float[] block, int grp,
                                int k0, int kLen, int rowStride, int to) {
        int kk = g.kernelSize, cg = g.channelsPerGroup, k1 = k0 + kLen;
        boolean plain = !g.hasOffset && table.inputFinite;
        for (int kpt = k0 / cg; kpt <= (k1 - 1) / cg; kpt++) {
            // Channels [lo, hi) of this kernel point fall in the block; channel ch is element k = kpt*Cg + ch - grp*Cg.
            int lo = grp * cg + Math.max(0, k0 - kpt * cg), hi = grp * cg + Math.min(cg, k1 - kpt * cg);
            int toBlock = to + kpt * cg - grp * cg - k0;
            for (int og = 0; og < g.offsetGroups; og++) {
                for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                    int cs = Math.max(lo, g.segStart[s]), ce = Math.min(hi, g.segEnd[s]);
                    if (g.segGroup[s] != grp || cs >= ce) continue;
                    sampleRun(g, table, padded, count, block, (og * kk + kpt) * table.capacity, cs, ce, toBlock, plain,
                            rowStride);
                }
            }
        }
    }

    /**
     * Channels {@code [cs, ce)} of table entries {@code e0 .. e0+count-1} (one offset group and kernel point, pixels
     * {@code 0 .. count-1}) into rows of {@code block}: channel {@code ch} of pixel {@code q} at
     * {@code q*rowStride + toBlock + ch}. {@code plain}: no offsets and a finite image, so every sample lies on a
     * pixel and the blend is the top-left corner times its weight.
     */
    private static void sampleRun(ConvGeometry g, SampleTable table, float[] padded, int count, float[] block, int e0,
                                  int cs, int ce, int toBlock, boolean plain, int rowStride) {
        int c = g.channels, d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int full = ce - (ce - cs) % L;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane;
        for (int q = 0, e = e0; q < count; q++, e++) {
            int b = base[e];
            int at = q * rowStride + toBlock + cs;
            if (b < 0) {
                if (b == SampleTable.OUTSIDE) {
                    Arrays.fill(block, at, at + ce - cs, 0f);
                } else {
                    for (int ch = cs; ch < ce; ch++) block[at + ch - cs] = specialValue(g, table, e, padded, ch, d01, d10, d11);
                }
                continue;
            }
            FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
            int src = b + cs;
            if (plain) {
                for (int ch = cs; ch < full; ch += L, src += L, at += L) {
                    FloatVector.fromArray(SPECIES, padded, src).mul(w00).intoArray(block, at);
                }
                if (full < ce) {
                    VectorMask<Float> m = SPECIES.indexInRange(full, ce);
                    FloatVector.fromArray(SPECIES, padded, src, m).mul(w00).intoArray(block, at, m);
                }
                continue;
            }
            FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
            FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
            FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
            for (int ch = cs; ch < full; ch += L, src += L, at += L) {
                FloatVector v = FloatVector.fromArray(SPECIES, padded, src).mul(w00);
                v = fma(FloatVector.fromArray(SPECIES, padded, src + d01), w01, v);
                v = fma(FloatVector.fromArray(SPECIES, padded, src + d10), w10, v);
                v = fma(FloatVector.fromArray(SPECIES, padded, src + d11), w11, v);
                v.intoArray(block, at);
            }
            if (full < ce) {
                VectorMask<Float> m = SPECIES.indexInRange(full, ce);
                FloatVector v = FloatVector.fromArray(SPECIES, padded, src, m).mul(w00);
                v = fma(FloatVector.fromArray(SPECIES, padded, src + d01, m), w01, v);
                v = fma(FloatVector.fromArray(SPECIES, padded, src + d10, m), w10, v);
                v = fma(FloatVector.fromArray(SPECIES, padded, src + d11, m), w11, v);
                v.intoArray(block, at, m);
            }
        }
    }

    /**
     * The sample of channel {@code ch} for a special entry {@code e} of {@link SampleTable} (DESIGN.md
     * "Non-finite values"): NaN for {@link SampleTable#NAN_SAMPLE}; for an
     * {@linkplain SampleTable#unmodulated unmodulated} entry the blend of the four corners, every corner
     * multiplied by its weight (0 on the lines {@code p = -1}), then times the mask, as the reference orders it.
     */
    static float specialValue(ConvGeometry g, SampleTable table, int e, float[] padded, int ch, int d01, int d10,
                              int d11) {
        int b = table.base[e];
        if (b == SampleTable.NAN_SAMPLE) return Float.NaN;
        float v = table.readsValue(g, e) ? blend(table, e, padded, SampleTable.unmodulatedBase(b) + ch, d01, d10, d11)
                : 0f;
        return v * table.frac(e, 2);
    }

    /** The four corners of entry {@code e} at padded index {@code at}, each times its table weight. */
    static float blend(SampleTable table, int e, float[] padded, int at, int d01, int d10, int d11) {
        float[] wt = table.weight;
        int pl = table.plane;
        return wt[e] * padded[at] + wt[pl + e] * padded[at + d01] + wt[2 * pl + e] * padded[at + d10]
                + wt[3 * pl + e] * padded[at + d11];
    }

}
