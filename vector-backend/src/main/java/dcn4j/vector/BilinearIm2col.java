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
 * segment with plain vector loads and FMAs, no gathers. The result for group {@code g} and local pixel
 * {@code q} is the row {@code cols[(g*rowsPerGroup + q)*Kg + kpt*Cg + cl]} (kernel point major).
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
     * Writes the sample rows of local pixels {@code q0 .. q0+count-1} from the entries of {@code table}
     * (filled for the same local pixels) into {@code cols}, each group's block holding {@code rows} pixel
     * rows. Row-major layout: element {@code (q, k)} of group {@code grp} at {@code (grp*rows + q)*Kg + k}
     * (the forward reads pixel rows). Panel-major layout: at
     * {@code grp*kPanels*rows*NR + ((k/NR)*rows + q)*NR + k%NR}, i.e. {@code NR}-wide column panels with
     * pixels as rows, which is the packed B operand of the weight-gradient product.
     */
    static void sample(ConvGeometry g, SampleTable table, float[] padded, int q0, int count, float[] cols,
                       int rows, boolean panelMajor) {
        if (panelMajor && g.groups == 1 && g.offsetGroups == 1 && g.hasOffset && g.channels % L == 0) {
            samplePanelsOneSegment(g, table, padded, q0, count, cols, rows);
        } else {
            sampleGeneral(g, table, padded, q0, count, cols, rows, panelMajor);
        }
    }

    /** {@link #sample} for any groups, offset groups, channel count and either layout. */
    static void sampleGeneral(ConvGeometry g, SampleTable table, float[] padded, int q0, int count, float[] cols,
                              int rows, boolean panelMajor) {
        int kk = g.kernelSize, ogs = g.offsetGroups, c = g.channels, cg = g.channelsPerGroup, kg = g.groupK;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int groupBlock = panelMajor ? (kg + NR - 1) / NR * rows * NR : rows * kg;
        boolean plain = !g.hasOffset && table.inputFinite;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane, cap = table.capacity;
        FloatVector zero = FloatVector.zero(SPECIES);
        for (int q = q0; q < q0 + count; q++) {
            // Entry of (q, og, kpt): (og*kk + kpt)*capacity + q (SampleTable.entry).
            int e = q;
            for (int og = 0; og < ogs; og++) {
                for (int kpt = 0; kpt < kk; kpt++, e += cap) {
                    int b = base[e];
                    FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
                    FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                    FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                    FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                    for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                        int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
                        // k of channel ch is kOff + ch
                        int kOff = kpt * cg - grp * cg;
                        int block = grp * groupBlock;
                        if (b < SampleTable.OUTSIDE) {
                            for (int ch = cs; ch < ce; ch++) {
                                int k = kOff + ch;
                                cols[panelMajor ? block + ((k / NR) * rows + q) * NR + (k & (NR - 1))
                                        : block + q * kg + k] = specialValue(g, table, e, padded, ch, d01, d10, d11);
                            }
                            continue;
                        }
                        int ch = cs;
                        for (; ch <= ce - L; ch += L) {
                            FloatVector v;
                            if (b < 0) {
                                v = zero;
                            } else if (plain) {
                                // Integer sampling position: the bilinear blend is the top-left corner itself.
                                v = FloatVector.fromArray(SPECIES, padded, b + ch).mul(w00);
                            } else {
                                int at = b + ch;
                                v = FloatVector.fromArray(SPECIES, padded, at).mul(w00);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d01), w01, v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d10), w10, v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d11), w11, v);
                            }
                            int k = kOff + ch;
                            if (!panelMajor) {
                                v.intoArray(cols, block + q * kg + k);
                            } else if ((k & (NR - 1)) + L <= NR) {
                                v.intoArray(cols, block + ((k / NR) * rows + q) * NR + (k & (NR - 1)));
                            } else {
                                store(v, FULL, cols, true, block, rows, kg, q, k);
                            }
                        }
                        if (ch < ce) {
                            VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                            FloatVector v;
                            if (b < 0) {
                                v = zero;
                            } else if (plain) {
                                v = FloatVector.fromArray(SPECIES, padded, b + ch, m).mul(w00);
                            } else {
                                int at = b + ch;
                                v = FloatVector.fromArray(SPECIES, padded, at, m).mul(w00);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d01, m), w01, v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d10, m), w10, v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d11, m), w11, v);
                            }
                            store(v, m, cols, panelMajor, block, rows, kg, q, kOff + ch);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #sample} into the panel-major layout for one group, one offset group and whole vectors of channels (the
     * weight gradient's B operand of the common layer): the same arithmetic, so the same bits, with the out-of-image
     * and special cases out of the channel loop and the destination advanced along its panel (a vector never
     * straddles two panels: {@code NR} is a multiple of {@code L}, and so is every {@code k} of a vector).
     */
    static void samplePanelsOneSegment(ConvGeometry g, SampleTable table, float[] padded, int q0, int count,
                                               float[] cols, int rows) {
        int kk = g.kernelSize, c = g.channels;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane, cap = table.capacity;
        FloatVector zeros = FloatVector.zero(SPECIES);
        for (int q = q0; q < q0 + count; q++) {
            // Entry of (q, kpt): kpt*capacity + q (SampleTable.entry).
            int e = q;
            for (int kpt = 0; kpt < kk; kpt++, e += cap) {
                int b = base[e], k0 = kpt * c;
                // Element (q, k) lives at ((k/NR)*rows + q)*NR + k%NR.
                int kp = k0 / NR, kr = k0 - kp * NR, at = (kp * rows + q) * NR + kr;
                if (b == SampleTable.OUTSIDE) {
                    // Zeros, a vector at a time along the panels (many entries where offsets are large).
                    for (int ch = 0; ch < c; ch += L) {
                        zeros.intoArray(cols, at);
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
                    for (int ch = 0; ch < c; ch++) {
                        int k = k0 + ch;
                        cols[((k / NR) * rows + q) * NR + (k & (NR - 1))] = specialValue(g, table, e, padded, ch, d01,
                                d10, d11);
                    }
                    continue;
                }
                FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
                FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                for (int ch = 0; ch < c; ch += L) {
                    int src = b + ch;
                    FloatVector v = FloatVector.fromArray(SPECIES, padded, src).mul(w00);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d01), w01, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d10), w10, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d11), w11, v);
                    v.intoArray(cols, at);
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
     * {@link #sample} into the forward's A operand, with the loops arranged for speed (the out-of-image and
     * integer-position cases leave the channel loop): same arithmetic, so the same bits. Element {@code (q, k)}
     * of group {@code grp} is at {@code grp*Sgemm.blockedSize(rows, Kg) + Sgemm.blockedIndex(rows, q, k)}: each
     * {@code KC}-deep block of the rows is contiguous, the layout the product reads without a copy.
     */
    static void sampleRows(ConvGeometry g, SampleTable table, float[] padded, int count, float[] cols, int rows) {
        if (g.groups == 1 && g.offsetGroups == 1 && g.hasOffset) {
            sampleRowsOneSegment(g, table, padded, count, cols, rows);
            return;
        }
        int kk = g.kernelSize, ogs = g.offsetGroups, c = g.channels, cg = g.channelsPerGroup, kg = g.groupK;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int groupBlock = (int) Sgemm.blockedSize(rows, kg);
        boolean plain = !g.hasOffset && table.inputFinite;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane, cap = table.capacity;
        for (int q = 0; q < count; q++) {
            // Entry of (q, og, kpt): (og*kk + kpt)*capacity + q (SampleTable.entry).
            int e = q;
            for (int og = 0; og < ogs; og++) {
                for (int kpt = 0; kpt < kk; kpt++, e += cap) {
                    int b = base[e];
                    float f00 = wt[e];
                    for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                        int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
                        // Element (q, k) with k = kOff + ch of the group's block.
                        int gb = grp * groupBlock, kOff = kpt * cg - grp * cg;
                        if (b == SampleTable.OUTSIDE) {
                            fillBlocked(cols, gb, rows, q, kOff + cs, kOff + ce);
                            continue;
                        }
                        if (b < 0) {
                            for (int ch = cs; ch < ce; ch++) {
                                cols[gb + Sgemm.blockedIndex(rows, q, kOff + ch)] =
                                        specialValue(g, table, e, padded, ch, d01, d10, d11);
                            }
                            continue;
                        }
                        FloatVector w00 = FloatVector.broadcast(SPECIES, f00);
                        int ch = cs;
                        if (plain) {
                            // Integer sampling position: the bilinear blend is the top-left corner itself.
                            for (; ch <= ce - L; ch += L) {
                                storeBlocked(FloatVector.fromArray(SPECIES, padded, b + ch).mul(w00), FULL, cols, gb,
                                        rows, q, kOff + ch);
                            }
                        } else {
                            FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                            FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                            FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                            for (; ch <= ce - L; ch += L) {
                                int at = b + ch;
                                FloatVector v = FloatVector.fromArray(SPECIES, padded, at).mul(w00);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d01), w01, v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d10), w10, v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d11), w11, v);
                                storeBlocked(v, FULL, cols, gb, rows, q, kOff + ch);
                            }
                        }
                        if (ch < ce) {
                            VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                            int at = b + ch;
                            FloatVector v = FloatVector.fromArray(SPECIES, padded, at, m).mul(w00);
                            if (!plain) {
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d01, m),
                                        FloatVector.broadcast(SPECIES, wt[pl + e]), v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d10, m),
                                        FloatVector.broadcast(SPECIES, wt[2 * pl + e]), v);
                                v = fma(FloatVector.fromArray(SPECIES, padded, at + d11, m),
                                        FloatVector.broadcast(SPECIES, wt[3 * pl + e]), v);
                            }
                            storeBlocked(v, m, cols, gb, rows, q, kOff + ch);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #sampleRows} for one group and one offset group (the common layer): the shortest loop. The
     * destination of each vector advances along the row's KC-deep block and moves to the next block at its
     * end (no division per vector).
     */
    private static void sampleRowsOneSegment(ConvGeometry g, SampleTable table, float[] padded, int count,
                                             float[] cols, int rows) {
        int kk = g.kernelSize, c = g.channels;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int full = c - c % L;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane, cap = table.capacity;
        for (int q = 0; q < count; q++) {
            // Entry of (q, kpt): kpt*capacity + q (SampleTable.entry).
            int e = q;
            // Element (q, k) lives at (kb*rows + q)*KC + kr, k = kb*KC + kr (Sgemm.blockedIndex).
            int kb = 0, kr = 0, at = q * Sgemm.KC;
            for (int kpt = 0; kpt < kk; kpt++, e += cap) {
                int b = base[e];
                int k0 = kpt * c;
                if (b < 0) {
                    if (b == SampleTable.OUTSIDE) {
                        fillBlocked(cols, 0, rows, q, k0, k0 + c);
                    } else {
                        for (int ch = 0; ch < c; ch++) {
                            cols[Sgemm.blockedIndex(rows, q, k0 + ch)] = specialValue(g, table, e, padded, ch, d01, d10, d11);
                        }
                    }
                    kb = (k0 + c) / Sgemm.KC;
                    kr = k0 + c - kb * Sgemm.KC;
                    at = (kb * rows + q) * Sgemm.KC + kr;
                    continue;
                }
                FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
                FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                for (int ch = 0; ch < full; ch += L) {
                    int src = b + ch;
                    FloatVector v = FloatVector.fromArray(SPECIES, padded, src).mul(w00);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d01), w01, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d10), w10, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d11), w11, v);
                    if (kr + L < Sgemm.KC) {
                        v.intoArray(cols, at);
                        kr += L;
                        at += L;
                    } else {
                        // Ends this block's row q (split when it straddles), the rest starts the next block's.
                        int next = ((kb + 1) * rows + q) * Sgemm.KC;
                        if (kr + L == Sgemm.KC) v.intoArray(cols, at);
                        else storeSplit(v, FULL, cols, at, Sgemm.KC - kr, next);
                        kb++;
                        kr = kr + L - Sgemm.KC;
                        at = next + kr;
                    }
                }
                if (full < c) {
                    VectorMask<Float> m = SPECIES.indexInRange(full, c);
                    int src = b + full;
                    FloatVector v = FloatVector.fromArray(SPECIES, padded, src, m).mul(w00);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d01, m), w01, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d10, m), w10, v);
                    v = fma(FloatVector.fromArray(SPECIES, padded, src + d11, m), w11, v);
                    storeBlocked(v, m, cols, 0, rows, q, k0 + full);
                    kb = (k0 + c) / Sgemm.KC;
                    kr = k0 + c - kb * Sgemm.KC;
                    at = (kb * rows + q) * Sgemm.KC + kr;
                }
            }
        }
    }

    /**
     * Stores lanes {@code m} of {@code v} as elements {@code (q, k .. k+L-1)} of the block-major group block at
     * {@code gb} ({@link Sgemm#blockedIndex}); a vector that straddles two {@code KC} blocks is split.
     */
    private static void storeBlocked(FloatVector v, VectorMask<Float> m, float[] cols, int gb, int rows, int q,
                                     int k) {
        int kb = k / Sgemm.KC, kr = k - kb * Sgemm.KC;
        int at = gb + (kb * rows + q) * Sgemm.KC + kr;
        if (kr + L <= Sgemm.KC) {
            if (m == FULL) v.intoArray(cols, at);
            else v.intoArray(cols, at, m);
        } else {
            // Lanes [0, KC-kr) end this block's row q, the others start the next block's row q.
            storeSplit(v, m, cols, at, Sgemm.KC - kr, gb + ((kb + 1) * rows + q) * Sgemm.KC);
        }
    }

    /** Zeroes elements {@code (q, k0 .. k1-1)} of the block-major group block at {@code gb}. */
    private static void fillBlocked(float[] cols, int gb, int rows, int q, int k0, int k1) {
        for (int k = k0; k < k1; ) {
            int kb = k / Sgemm.KC, end = Math.min(k1, (kb + 1) * Sgemm.KC);
            int at = gb + Sgemm.blockedIndex(rows, q, k);
            Arrays.fill(cols, at, at + end - k, 0f);
            k = end;
        }
    }

    /**
     * Stores lanes {@code m} of a vector that straddles two blocks: lanes {@code [0, first)} at {@code at},
     * the others from {@code next} on (lane {@code first} lands at {@code next}).
     */
    private static void storeSplit(FloatVector v, VectorMask<Float> m, float[] cols, int at, int first, int next) {
        VectorMask<Float> head = SPECIES.indexInRange(0, first).and(m);
        v.intoArray(cols, at, head);
        v.intoArray(cols, next - first, m.andNot(head));
    }

    private static final VectorMask<Float> FULL = SPECIES.maskAll(true);

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

    /** Stores lanes {@code m} of {@code v} as elements {@code (q, k .. k+L-1)} of a group block of {@code cols}. */
    private static void store(FloatVector v, VectorMask<Float> m, float[] cols, boolean panelMajor, int block,
                              int rows, int kg, int q, int k) {
        if (!panelMajor) {
            v.intoArray(cols, block + q * kg + k, m);
            return;
        }
        int kp = k / NR, j = k - kp * NR;
        int at = block + (kp * rows + q) * NR + j;
        if (j + L <= NR) {
            v.intoArray(cols, at, m);
        } else {
            // The vector straddles two panels: lanes [0, NR-j) here, the others at the start of the
            // next panel's row q.
            storeSplit(v, m, cols, at, NR - j, block + ((kp + 1) * rows + q) * NR);
        }
    }
}
