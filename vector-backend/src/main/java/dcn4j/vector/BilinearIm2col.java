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
 * {@code KC}), the backward {@code NR}-wide column panels of a chunk ({@link #sample}).
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
        int kk = g.kernelSize, cg = g.channelsPerGroup, k1 = k0 + kLen;
        boolean plain = !g.hasOffset && table.inputFinite;
        for (int kpt = k0 / cg; kpt <= (k1 - 1) / cg; kpt++) {
            // Channels [lo, hi) of this kernel point fall in the block; channel ch is element k = kpt*Cg + ch - grp*Cg.
            int lo = grp * cg + Math.max(0, k0 - kpt * cg), hi = grp * cg + Math.min(cg, k1 - kpt * cg);
            int toBlock = kpt * cg - grp * cg - k0;
            for (int og = 0; og < g.offsetGroups; og++) {
                for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                    int cs = Math.max(lo, g.segStart[s]), ce = Math.min(hi, g.segEnd[s]);
                    if (g.segGroup[s] != grp || cs >= ce) continue;
                    sampleRun(g, table, padded, count, block, (og * kk + kpt) * table.capacity, cs, ce, toBlock, plain);
                }
            }
        }
    }

    /**
     * Channels {@code [cs, ce)} of table entries {@code e0 .. e0+count-1} (one offset group and kernel point, pixels
     * {@code 0 .. count-1}) into rows of {@code block}: channel {@code ch} of pixel {@code q} at
     * {@code q*KC + toBlock + ch}. {@code plain}: no offsets and a finite image, so every sample lies on a pixel and
     * the blend is the top-left corner times its weight (as {@link #sample} computes it).
     */
    private static void sampleRun(ConvGeometry g, SampleTable table, float[] padded, int count, float[] block, int e0,
                                  int cs, int ce, int toBlock, boolean plain) {
        int c = g.channels, d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int full = ce - (ce - cs) % L;
        int[] base = table.base;
        float[] wt = table.weight;
        int pl = table.plane;
        for (int q = 0, e = e0; q < count; q++, e++) {
            int b = base[e];
            int at = q * Sgemm.KC + toBlock + cs;
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
