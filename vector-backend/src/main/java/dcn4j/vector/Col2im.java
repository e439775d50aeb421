package dcn4j.vector;

import static dcn4j.vector.Sgemm.L;
import static dcn4j.vector.Sgemm.SPECIES;
import static dcn4j.vector.VectorWidth.fma;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * The adjoint of {@link BilinearIm2col}: gradients of the sample rows ({@code gradCols}, same layout
 * as the rows) sent back to the input image, the offsets and the mask (DESIGN.md "Semantics":
 * backward is the exact derivative, right derivative at integer coordinates).
 *
 * <p>Determinism without atomics: {@link #scatter} handles a block of channels, and every input
 * element of those channels receives its contributions in the fixed order (pixel, offset group,
 * kernel point, corner) whatever the block boundaries, so the result does not depend on how many
 * threads split the channels. {@link #offsetMaskGrads} owns whole pixels and reduces over channels in
 * a fixed order with a fixed lane tree ({@link #sumLanes}).
 */
final class Col2im {

    /** Butterfly shuffles {@code i -> i ^ h}; those wider than the species are unused ({@code null}). */
    private static final VectorShuffle<Float> SWAP32 = L >= 64 ? butterfly(32) : null;
    private static final VectorShuffle<Float> SWAP16 = L >= 32 ? butterfly(16) : null;
    private static final VectorShuffle<Float> SWAP8 = L >= 16 ? butterfly(8) : null;
    private static final VectorShuffle<Float> SWAP4 = L >= 8 ? butterfly(4) : null;
    private static final VectorShuffle<Float> SWAP2 = L >= 4 ? butterfly(2) : null;
    private static final VectorShuffle<Float> SWAP1 = L >= 2 ? butterfly(1) : null;

    private Col2im() {
    }

    private static VectorShuffle<Float> butterfly(int half) {
        return VectorShuffle.fromOp(SPECIES, lane -> lane ^ half);
    }

    /**
     * The sum of the lanes of {@code v} by a fixed butterfly tree: unlike {@code reduceLanes(ADD)},
     * whose float order is unspecified (and may differ between interpreted and compiled code), this is
     * bit-reproducible everywhere.
     */
    static float sumLanes(FloatVector v) {
        if (L >= 64) v = v.add(v.rearrange(SWAP32));
        if (L >= 32) v = v.add(v.rearrange(SWAP16));
        if (L >= 16) v = v.add(v.rearrange(SWAP8));
        if (L >= 8) v = v.add(v.rearrange(SWAP4));
        if (L >= 4) v = v.add(v.rearrange(SWAP2));
        if (L >= 2) v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    /**
     * Adds, for channels {@code [cFrom, cTo)}, the gradient of every sample of local pixels
     * {@code qFrom .. qFrom+count-1}, in that order, to the four corners it was read from, in the padded NHWC
     * gradient {@code gradPadded}: corner weight times {@code gradCols} (the weights include the mask). Element
     * {@code (q, k)} of group {@code grp} of the gradient columns is at {@code layout.at(gcOff, grp, q, k)} (the
     * offset lets a block of rows live apart from the chunk's, {@code VectorDeformConv2d} "pipelined"); a
     * kernel-point-major layout needs the one-segment case (whole vectors of channels).
     */
    static void scatter(ConvGeometry g, SampleTable table, float[] gradCols, int gcOff, GradColumnsLayout layout,
                        int qFrom, int count, int cFrom, int cTo, float[] gradPadded) {
        if (g.groups == 1 && g.offsetGroups == 1 && cFrom % L == 0 && (cTo - cFrom) % L == 0) {
            scatterOneSegment(g, table, gradCols, gcOff, layout, qFrom, count, cFrom, cTo, gradPadded);
        } else {
            scatterGeneral(g, table, gradCols, gcOff, requireRowMajor(layout), qFrom, count, cFrom, cTo, gradPadded);
        }
    }

    /** {@code layout}, which the general loops (vectors of channels at any offset) can read only row-major. */
    private static GradColumnsLayout requireRowMajor(GradColumnsLayout layout) {
        if (!layout.rowMajor()) {
            throw new IllegalStateException("internal: kernel-point-major gradient columns need one group, one offset "
                    + "group and whole vectors of channels");
        }
        return layout;
    }

    /**
     * {@link #scatter} for one group, one offset group and whole vectors of channels: the same additions in the
     * same order as {@link #scatterGeneral}, so the same bits, without the segment loop and the masked tail: 2-8%
     * less time per entry at 512 bits, 9-22% at 256 ({@code Col2imThroughput}).
     */
    static void scatterOneSegment(ConvGeometry g, SampleTable table, float[] gradCols, int gcOff,
                                  GradColumnsLayout layout, int qFrom, int count, int cFrom, int cTo,
                                  float[] gradPadded) {
        int kk = g.kernelSize, c = g.channels, kptStride = layout.kernelPointStride(g);
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int[] base = table.base;
        float[] wt = table.weight, frac = table.frac;
        int pl = table.plane, cap = table.capacity;
        for (int q = qFrom; q < qFrom + count; q++) {
            // Entry of (q, kpt): kpt*capacity + q (SampleTable.entry); its gradient columns: C floats from
            // layout.at(gcOff, 0, q, kpt*C) (GradColumnsLayout.kernelPointStride).
            int e = q, src = layout.at(gcOff, 0, q, 0);
            for (int kpt = 0; kpt < kk; kpt++, e += cap, src += kptStride) {
                int b = base[e];
                if (b == SampleTable.OUTSIDE || b == SampleTable.NAN_SAMPLE) continue;
                boolean right = frac[pl + e] != 0f, down = frac[e] != 0f;
                if (SampleTable.unmodulated(b)) {
                    scatterUnmodulated(g, table, e, gradCols, gcOff, layout, q, 0, kpt, cFrom, cTo, gradPadded, right,
                            down);
                    continue;
                }
                FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
                FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                for (int ch = cFrom; ch < cTo; ch += L) {
                    FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch);
                    int at = b + ch;
                    fma(gs, w00, FloatVector.fromArray(SPECIES, gradPadded, at)).intoArray(gradPadded, at);
                    if (right) fma(gs, w01, FloatVector.fromArray(SPECIES, gradPadded, at + d01)).intoArray(gradPadded, at + d01);
                    if (down) fma(gs, w10, FloatVector.fromArray(SPECIES, gradPadded, at + d10)).intoArray(gradPadded, at + d10);
                    if (right && down) {
                        fma(gs, w11, FloatVector.fromArray(SPECIES, gradPadded, at + d11)).intoArray(gradPadded, at + d11);
                    }
                }
            }
        }
    }

    /** {@link #scatter} for any groups, offset groups and channel range. */
    static void scatterGeneral(ConvGeometry g, SampleTable table, float[] gradCols, int gcOff,
                               GradColumnsLayout layout, int qFrom, int count, int cFrom, int cTo, float[] gradPadded) {
        requireRowMajor(layout);
        int kk = g.kernelSize, ogs = g.offsetGroups, c = g.channels, cg = g.channelsPerGroup;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int ogFrom = cFrom / g.channelsPerOffsetGroup, ogTo = (cTo - 1) / g.channelsPerOffsetGroup;
        int[] base = table.base;
        float[] wt = table.weight, frac = table.frac;
        int pl = table.plane, cap = table.capacity;
        for (int q = qFrom; q < qFrom + count; q++) {
            for (int og = ogFrom; og <= ogTo; og++) {
                int e = table.entry(g, q, og, 0);
                for (int kpt = 0; kpt < kk; kpt++, e += cap) {
                    int b = base[e];
                    if (b == SampleTable.OUTSIDE || b == SampleTable.NAN_SAMPLE) continue;
                    // Only corners of non-zero bilinear weight receive anything (DESIGN.md "Non-finite
                    // values"): a non-finite gradient must not reach a corner the sample does not read.
                    boolean right = frac[1 * pl + e] != 0f, down = frac[e] != 0f;
                    if (SampleTable.unmodulated(b)) {
                        scatterUnmodulated(g, table, e, gradCols, gcOff, layout, q, og, kpt, cFrom, cTo, gradPadded,
                                right, down);
                        continue;
                    }
                    FloatVector w00 = FloatVector.broadcast(SPECIES, wt[e]);
                    FloatVector w01 = FloatVector.broadcast(SPECIES, wt[pl + e]);
                    FloatVector w10 = FloatVector.broadcast(SPECIES, wt[2 * pl + e]);
                    FloatVector w11 = FloatVector.broadcast(SPECIES, wt[3 * pl + e]);
                    for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                        int grp = g.segGroup[s];
                        int cs = Math.max(g.segStart[s], cFrom), ce = Math.min(g.segEnd[s], cTo);
                        // Row-major: channel ch of group grp at src + ch.
                        int src = layout.at(gcOff, grp, q, kpt * cg - grp * cg);
                        int ch = cs;
                        for (; ch <= ce - L; ch += L) {
                            FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch);
                            int at = b + ch;
                            fma(gs, w00, FloatVector.fromArray(SPECIES, gradPadded, at)).intoArray(gradPadded, at);
                            if (right) {
                                fma(gs, w01, FloatVector.fromArray(SPECIES, gradPadded, at + d01))
                                        .intoArray(gradPadded, at + d01);
                            }
                            if (down) {
                                fma(gs, w10, FloatVector.fromArray(SPECIES, gradPadded, at + d10))
                                        .intoArray(gradPadded, at + d10);
                            }
                            if (right && down) {
                                fma(gs, w11, FloatVector.fromArray(SPECIES, gradPadded, at + d11))
                                        .intoArray(gradPadded, at + d11);
                            }
                        }
                        if (ch < ce) {
                            VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                            FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch, m);
                            int at = b + ch;
                            fma(gs, w00, FloatVector.fromArray(SPECIES, gradPadded, at, m)).intoArray(gradPadded, at, m);
                            if (right) {
                                fma(gs, w01, FloatVector.fromArray(SPECIES, gradPadded, at + d01, m))
                                        .intoArray(gradPadded, at + d01, m);
                            }
                            if (down) {
                                fma(gs, w10, FloatVector.fromArray(SPECIES, gradPadded, at + d10, m))
                                        .intoArray(gradPadded, at + d10, m);
                            }
                            if (right && down) {
                                fma(gs, w11, FloatVector.fromArray(SPECIES, gradPadded, at + d11, m))
                                        .intoArray(gradPadded, at + d11, m);
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@link #scatter} of one {@link SampleTable#unmodulated} entry, channel by channel: {@code (mask*weight)*grad}. */
    private static void scatterUnmodulated(ConvGeometry g, SampleTable table, int e, float[] gradCols, int gcOff,
                                           GradColumnsLayout layout, int q, int og, int kpt, int cFrom, int cTo,
                                           float[] gradPadded, boolean right, boolean down) {
        int c = g.channels, cg = g.channelsPerGroup;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        float[] wt = table.weight;
        int pl = table.plane;
        float m = table.frac(e, 2);
        int b = SampleTable.unmodulatedBase(table.base[e]);
        for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
            int grp = g.segGroup[s];
            int cs = Math.max(g.segStart[s], cFrom), ce = Math.min(g.segEnd[s], cTo);
            if (cs >= ce) continue;
            // A segment's channels are contiguous in both layouts (one kernel point): channel ch at src + ch.
            int src = layout.at(gcOff, grp, q, kpt * cg - grp * cg + cs) - cs;
            for (int ch = cs; ch < ce; ch++) {
                float gc = gradCols[src + ch];
                int at = b + ch;
                gradPadded[at] += m * wt[e] * gc;
                if (right) gradPadded[at + d01] += m * wt[pl + e] * gc;
                if (down) gradPadded[at + d10] += m * wt[2 * pl + e] * gc;
                if (right && down) gradPadded[at + d11] += m * wt[3 * pl + e] * gc;
            }
        }
    }

    /**
     * Offset and mask gradients of local pixels {@code q0 .. q0+count-1} (global pixel {@code p0 + q}
     * for local {@code q}) of batch item {@code n}: for each (offset group, kernel point),
     * {@code d/d offset_y = mask * sum_c gradCols * dBilinear/dpy} (and x), and
     * {@code d/d mask = sum_c gradCols * bilinear}, with the slopes of the cell {@code [floor p, floor p + 1]}.
     * A point that reads nothing gets 0. Either output may be {@code null}. {@code gcOff}: as for {@link #scatter}.
     */
    static void offsetMaskGrads(ConvGeometry g, SampleTable table, float[] padded, float[] gradCols, int gcOff,
                                GradColumnsLayout layout, int n, int p0, int q0, int count, float[] gradOffset,
                                float[] gradMask) {
        if (g.groups == 1 && g.offsetGroups == 1 && g.channels % L == 0) {
            offsetMaskGradsOneSegment(g, table, padded, gradCols, gcOff, layout, n, p0, q0, count, gradOffset, gradMask);
        } else {
            offsetMaskGradsGeneral(g, table, padded, gradCols, gcOff, requireRowMajor(layout), n, p0, q0, count,
                    gradOffset, gradMask);
        }
    }

    /**
     * {@link #offsetMaskGrads} for one group, one offset group and whole vectors of channels (the common layer):
     * the same arithmetic in the same order as {@link #offsetMaskGradsGeneral}, so the same bits, without the
     * segment loop and the masked tail: 11-22% less time per entry at 64 and 128 channels, 512 and 256 bits
     * ({@code Col2imThroughput}; benchmarks/RESULTS.md "Issue 10, seventh pass").
     */
    static void offsetMaskGradsOneSegment(ConvGeometry g, SampleTable table, float[] padded, float[] gradCols,
                                          int gcOff, GradColumnsLayout layout, int n, int p0, int q0, int count,
                                          float[] gradOffset, float[] gradMask) {
        int kk = g.kernelSize, c = g.channels, pixels = g.pixels, kptStride = layout.kernelPointStride(g);
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int offBase = n * 2 * kk * pixels, maskBase = n * kk * pixels;
        int[] base = table.base;
        float[] frac = table.frac;
        int pl = table.plane, cap = table.capacity;
        boolean withMask = gradMask != null;
        FloatVector zero = FloatVector.zero(SPECIES);
        for (int q = q0; q < q0 + count; q++) {
            int p = p0 + q;
            // Entry of (q, kpt): kpt*capacity + q (SampleTable.entry); its gradient columns as in scatterOneSegment.
            int e = q, src = layout.at(gcOff, 0, q, 0);
            for (int kpt = 0; kpt < kk; kpt++, e += cap, src += kptStride) {
                int b = base[e];
                int offY = offBase + 2 * kpt * pixels + p, offX = offY + pixels, maskAt = maskBase + kpt * pixels + p;
                if (b >= 0 && frac[5 * pl + e] != 0f && frac[6 * pl + e] != 0f) {
                    // The ordinary sample: sums over the channels, combined once (fastGrads).
                    FloatVector sL = zero, sR = zero, sT = zero, sB = zero, sM = zero;
                    float ly = frac[e], lx = frac[pl + e], hy = frac[3 * pl + e], hx = frac[4 * pl + e];
                    FloatVector w00 = FloatVector.broadcast(SPECIES, hy * hx);
                    FloatVector w01 = FloatVector.broadcast(SPECIES, hy * lx);
                    FloatVector w10 = FloatVector.broadcast(SPECIES, ly * hx);
                    FloatVector w11 = FloatVector.broadcast(SPECIES, ly * lx);
                    for (int ch = 0; ch < c; ch += L) {
                        int at = b + ch;
                        FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch);
                        FloatVector v00 = FloatVector.fromArray(SPECIES, padded, at);
                        FloatVector v01 = FloatVector.fromArray(SPECIES, padded, at + d01);
                        FloatVector v10 = FloatVector.fromArray(SPECIES, padded, at + d10);
                        FloatVector v11 = FloatVector.fromArray(SPECIES, padded, at + d11);
                        sL = fma(gs, v10.sub(v00), sL);
                        sR = fma(gs, v11.sub(v01), sR);
                        sT = fma(gs, v01.sub(v00), sT);
                        sB = fma(gs, v11.sub(v10), sB);
                        if (withMask) {
                            sM = fma(gs, fma(v11, w11, fma(v10, w10, fma(v01, w01, v00.mul(w00)))), sM);
                        }
                    }
                    if (fastGrads(frac, pl, e, sumLanes(sL), sumLanes(sR), sumLanes(sT), sumLanes(sB),
                            withMask ? sumLanes(sM) : 0f, gradOffset, offY, offX, gradMask, maskAt)) {
                        continue;
                    }
                }
                exactGrads(g, table, e, padded, gradCols, gcOff, layout, q, 0, kpt, gradOffset, offY, offX, gradMask,
                        maskAt);
            }
        }
    }

    /** {@link #offsetMaskGrads} for any groups, offset groups and channel count. */
    static void offsetMaskGradsGeneral(ConvGeometry g, SampleTable table, float[] padded, float[] gradCols,
                                       int gcOff, GradColumnsLayout layout, int n, int p0, int q0, int count,
                                       float[] gradOffset, float[] gradMask) {
        requireRowMajor(layout);
        int kk = g.kernelSize, ogs = g.offsetGroups, c = g.channels, cg = g.channelsPerGroup;
        int pixels = g.pixels;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int offBase = n * 2 * ogs * kk * pixels, maskBase = n * ogs * kk * pixels;
        int[] base = table.base;
        float[] frac = table.frac;
        int pl = table.plane, cap = table.capacity;
        boolean withMask = gradMask != null;
        FloatVector zero = FloatVector.zero(SPECIES);
        for (int q = q0; q < q0 + count; q++) {
            int p = p0 + q;
            // Entry of (q, og, kpt): (og*kk + kpt)*capacity + q (SampleTable.entry).
            int e = q;
            for (int og = 0; og < ogs; og++) {
                for (int kpt = 0; kpt < kk; kpt++, e += cap) {
                    int b = base[e];
                    int offY = offBase + 2 * (og * kk + kpt) * pixels + p, offX = offY + pixels;
                    int maskAt = maskBase + (og * kk + kpt) * pixels + p;
                    if (b >= 0 && frac[5 * pl + e] != 0f && frac[6 * pl + e] != 0f) {
                        FloatVector sL = zero, sR = zero, sT = zero, sB = zero, sM = zero;
                        float ly = frac[e], lx = frac[pl + e], hy = frac[3 * pl + e], hx = frac[4 * pl + e];
                        FloatVector w00 = FloatVector.broadcast(SPECIES, hy * hx);
                        FloatVector w01 = FloatVector.broadcast(SPECIES, hy * lx);
                        FloatVector w10 = FloatVector.broadcast(SPECIES, ly * hx);
                        FloatVector w11 = FloatVector.broadcast(SPECIES, ly * lx);
                        for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                            int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
                            // Row-major: channel ch of group grp at src + ch.
                            int src = layout.at(gcOff, grp, q, kpt * cg - grp * cg);
                            int ch = cs;
                            for (; ch <= ce - L; ch += L) {
                                int at = b + ch;
                                FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch);
                                FloatVector v00 = FloatVector.fromArray(SPECIES, padded, at);
                                FloatVector v01 = FloatVector.fromArray(SPECIES, padded, at + d01);
                                FloatVector v10 = FloatVector.fromArray(SPECIES, padded, at + d10);
                                FloatVector v11 = FloatVector.fromArray(SPECIES, padded, at + d11);
                                sL = fma(gs, v10.sub(v00), sL);
                                sR = fma(gs, v11.sub(v01), sR);
                                sT = fma(gs, v01.sub(v00), sT);
                                sB = fma(gs, v11.sub(v10), sB);
                                if (withMask) {
                                    sM = fma(gs, fma(v11, w11, fma(v10, w10, fma(v01, w01, v00.mul(w00)))), sM);
                                }
                            }
                            if (ch < ce) {
                                // The same on the masked tail (masked-off lanes load 0 and add +0).
                                VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                                int at = b + ch;
                                FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch, m);
                                FloatVector v00 = FloatVector.fromArray(SPECIES, padded, at, m);
                                FloatVector v01 = FloatVector.fromArray(SPECIES, padded, at + d01, m);
                                FloatVector v10 = FloatVector.fromArray(SPECIES, padded, at + d10, m);
                                FloatVector v11 = FloatVector.fromArray(SPECIES, padded, at + d11, m);
                                sL = fma(gs, v10.sub(v00), sL);
                                sR = fma(gs, v11.sub(v01), sR);
                                sT = fma(gs, v01.sub(v00), sT);
                                sB = fma(gs, v11.sub(v10), sB);
                                if (withMask) {
                                    sM = fma(gs, fma(v11, w11, fma(v10, w10, fma(v01, w01, v00.mul(w00)))), sM);
                                }
                            }
                        }
                        if (fastGrads(frac, pl, e, sumLanes(sL), sumLanes(sR), sumLanes(sT), sumLanes(sB),
                                withMask ? sumLanes(sM) : 0f, gradOffset, offY, offX, gradMask, maskAt)) {
                            continue;
                        }
                    }
                    exactGrads(g, table, e, padded, gradCols, gcOff, layout, q, og, kpt, gradOffset, offY, offX,
                            gradMask, maskAt);
                }
            }
        }
    }

    /**
     * The gradients of an ordinary sample (both slopes, finite result) from sums over its channels {@code c}:
     * {@code sL = sum gc (v10 - v00)}, {@code sR = sum gc (v11 - v01)}, {@code sT = sum gc (v01 - v00)},
     * {@code sB = sum gc (v11 - v10)}, and {@code gm = sum gc value} (the mask gradient), the value every corner times
     * its weight as the reference's. The corner weights do not depend on the channel, so they come out of the slopes'
     * sums: {@code d/dy = mask (hx sL + lx sR)}, {@code d/dx = mask (hy sT + ly sB)}; four fused multiply-adds per
     * vector of channels for the offsets instead of ten, with the same differences of corners as the reference's
     * slopes (no new cancellation). The mask's value is not taken out of those sums: the earlier
     * {@code (w00+w01+w10+w11) s00 + w01 sT + (w10+w11) sL + w11 sB} (with {@code s00 = sum gc v00}) cancelled where
     * one corner weight was a million times another (a sample within 1e-6 of a cell edge, next to the zero border),
     * 2% off in a conformance run of the fourteenth pass (Col2imTest now measures each term at its weight). The sums
     * are in another order than the reference's channel-by-channel terms, so where one is not finite (an infinite or
     * NaN corner or gradient, an overflow) this returns false, writes nothing, and the caller takes
     * {@link #exactGrads}, whose terms put NaN and infinities where the reference does: a non-finite term always
     * leaves a non-finite result here ({@code hx > 0}; {@code lx * inf} and {@code 0 * inf} are NaN), so no such
     * entry is missed. Writes {@code d/dy, d/dx} at {@code offY, offX} of {@code gradOffset} and {@code d/dmask} at
     * {@code maskAt} of {@code gradMask} (each when not {@code null}). Scalars only: a vector argument is boxed in a
     * JVM where C2 does not inline this method (DESIGN.md "Vector boxing in some JVMs"; with the sums passed as
     * vectors one side-by-side JVM was boxed).
     */
    private static boolean fastGrads(float[] frac, int pl, int e, float sL, float sR, float sT, float sB, float gm,
                                     float[] gradOffset, int offY, int offX, float[] gradMask, int maskAt) {
        float ly = frac[e], lx = frac[pl + e], mk = frac[2 * pl + e], hy = frac[3 * pl + e], hx = frac[4 * pl + e];
        float gy = mk * fma(lx, sR, hx * sL);
        float gx = mk * fma(ly, sB, hy * sT);
        if (!Float.isFinite(gy) || !Float.isFinite(gx) || !Float.isFinite(gm)) return false;
        if (gradOffset != null) {
            gradOffset[offY] = gy;
            gradOffset[offX] = gx;
        }
        if (gradMask != null) gradMask[maskAt] = gm;
        return true;
    }

    /**
     * The gradients of one entry term by term, each channel's slope and value first and then times its gradient,
     * as the reference: the entries {@link #fastGrads} leaves (a slope of 0 on the last row or column, a
     * non-finite result) and those that are not ordinary samples ({@link #specialGrads}). Writes as
     * {@link #fastGrads}.
     */
    private static void exactGrads(ConvGeometry g, SampleTable table, int e, float[] padded, float[] gradCols,
                                   int gcOff, GradColumnsLayout layout, int q, int og, int kpt, float[] gradOffset,
                                   int offY, int offX, float[] gradMask, int maskAt) {
        boolean withMask = gradMask != null;
        int b = table.base[e];
        float gy, gx, gm = 0f;
        if (b < 0) {
            float[] r = specialGrads(g, table, e, padded, gradCols, gcOff, layout, q, og, kpt, withMask);
            gy = r[0];
            gx = r[1];
            gm = r[2];
        } else {
            int c = g.channels, cg = g.channelsPerGroup;
            int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
            float ly = table.frac(e, 0), lx = table.frac(e, 1), fhy = table.frac(e, 3), fhx = table.frac(e, 4);
            // No slope along a coordinate moved onto the last row/column (Border.DCNV1): each
            // term is grad * 0 there, as the reference's gc * m * 0 (DESIGN.md "Non-finite values").
            boolean slopeY = table.frac(e, 5) != 0f, slopeX = table.frac(e, 6) != 0f;
            FloatVector zero = FloatVector.zero(SPECIES);
            FloatVector vly = FloatVector.broadcast(SPECIES, ly), vlx = FloatVector.broadcast(SPECIES, lx);
            FloatVector hy = FloatVector.broadcast(SPECIES, fhy), hx = FloatVector.broadcast(SPECIES, fhx);
            FloatVector b00 = FloatVector.broadcast(SPECIES, fhy * fhx);
            FloatVector b01 = FloatVector.broadcast(SPECIES, fhy * lx);
            FloatVector b10 = FloatVector.broadcast(SPECIES, ly * fhx);
            FloatVector b11 = FloatVector.broadcast(SPECIES, ly * lx);
            FloatVector accY = zero, accX = zero, accM = zero;
            for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
                int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
                // A segment's channels are contiguous in both layouts (one kernel point): channel ch at src + ch.
                int src = layout.at(gcOff, grp, q, kpt * cg - grp * cg + cs) - cs;
                for (int ch = cs; ch < ce; ch += L) {
                    // Masked-off lanes load 0 and add 0.
                    VectorMask<Float> m = SPECIES.indexInRange(ch, ce);
                    int at = b + ch;
                    FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch, m);
                    FloatVector v00 = FloatVector.fromArray(SPECIES, padded, at, m);
                    FloatVector v01 = FloatVector.fromArray(SPECIES, padded, at + d01, m);
                    FloatVector v10 = FloatVector.fromArray(SPECIES, padded, at + d10, m);
                    FloatVector v11 = FloatVector.fromArray(SPECIES, padded, at + d11, m);
                    // d/dpy = (1-lx)(v10 - v00) + lx (v11 - v01); d/dpx = (1-ly)(v01 - v00) + ly (v11 - v10)
                    FloatVector top = v01.sub(v00), bottom = v11.sub(v10);
                    FloatVector left = v10.sub(v00), right = v11.sub(v01);
                    FloatVector dy = left.mul(hx).add(right.mul(vlx));
                    FloatVector dx = top.mul(hy).add(bottom.mul(vly));
                    accY = fma(gs, slopeY ? dy : zero, accY);
                    accX = fma(gs, slopeX ? dx : zero, accX);
                    if (withMask) {
                        // Every corner times its weight, as the reference's value (a lerp would
                        // turn an infinite corner into NaN: inf - inf).
                        FloatVector val = v00.mul(b00).add(v01.mul(b01)).add(v10.mul(b10)).add(v11.mul(b11));
                        accM = fma(gs, val, accM);
                    }
                }
            }
            float mk = table.frac(e, 2);
            gy = mk * sumLanes(accY);
            gx = mk * sumLanes(accX);
            if (withMask) gm = sumLanes(accM);
        }
        if (gradOffset != null) {
            gradOffset[offY] = gy;
            gradOffset[offX] = gx;
        }
        if (withMask) gradMask[maskAt] = gm;
    }

    /**
     * Offset and mask gradients {@code (d/dy, d/dx, d/dmask)} of a sample that is not an ordinary
     * {@link SampleTable} entry, term by term as the reference (DESIGN.md "Non-finite values"):
     * outside the image every term is {@code grad * 0} (NaN only from a non-finite gradient); a NaN
     * sample has NaN slopes and a mask gradient {@code sum grad * value}, value NaN or 0; an
     * {@linkplain SampleTable#unmodulated unmodulated} entry {@code sum (grad*mask) * slope} and
     * {@code sum grad * value}.
     */
    private static float[] specialGrads(ConvGeometry g, SampleTable table, int e, float[] padded, float[] gradCols,
                                        int gcOff, GradColumnsLayout layout, int q, int og, int kpt, boolean withMask) {
        int c = g.channels, cg = g.channelsPerGroup;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        int b = table.base[e];
        float ly = table.frac(e, 0), lx = table.frac(e, 1), m = table.frac(e, 2), hy = table.frac(e, 3);
        float hx = table.frac(e, 4);
        boolean slopeY = table.frac(e, 5) != 0f, slopeX = table.frac(e, 6) != 0f;
        if (b == SampleTable.OUTSIDE) return outsideGrads(g, gradCols, gcOff, layout, q, og, kpt, m);
        boolean unmodulated = SampleTable.unmodulated(b), reads = unmodulated && table.readsValue(g, e);
        int at0 = unmodulated ? SampleTable.unmodulatedBase(b) : 0;
        float gy = 0f, gx = 0f, gm = 0f;
        for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
            int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
            // A segment's channels are contiguous in both layouts (one kernel point): channel ch at src + ch.
            int src = layout.at(gcOff, grp, q, kpt * cg - grp * cg + cs) - cs;
            for (int ch = cs; ch < ce; ch++) {
                float gc = gradCols[src + ch];
                if (!unmodulated) {
                    // Outside: slope 0 and value 0; a NaN sample: NaN slopes, value NaN (ly holds it).
                    float slope = b == SampleTable.NAN_SAMPLE ? Float.NaN : 0f;
                    gy += gc * m * slope;
                    gx += gc * m * slope;
                    gm += gc * (b == SampleTable.NAN_SAMPLE ? ly : 0f);
                    continue;
                }
                int at = at0 + ch;
                float v00 = padded[at], v01 = padded[at + d01], v10 = padded[at + d10], v11 = padded[at + d11];
                // A coordinate moved onto the last row/column (Border.DCNV1) has slope 0 along it.
                float dy = slopeY ? hx * (v10 - v00) + lx * (v11 - v01) : 0f;
                float dx = slopeX ? hy * (v01 - v00) + ly * (v11 - v10) : 0f;
                gy += gc * m * dy;
                gx += gc * m * dx;
                if (withMask) gm += gc * (reads ? BilinearIm2col.blend(table, e, padded, at, d01, d10, d11) : 0f);
            }
        }
        return new float[] {gy, gx, gm};
    }

    /**
     * {@link #specialGrads} of an {@link SampleTable#OUTSIDE} entry, a vector at a time: every term is
     * {@code (gc*m)*0} (slopes) or {@code gc*0} (value), i.e. +0 or -0 for finite products and NaN otherwise, so
     * each sum is +0 (it starts at +0) unless a term is NaN, whatever the order of the additions: the same values
     * as the channel-by-channel loop ({@code Col2imTest}). Where offsets are large many samples are outside: on a
     * 64-channel 56x56 layer with offsets uniform in [-30, 30] the offset and mask gradients took 36% less time per
     * entry than one channel at a time (with offsets in [-2, 2], few samples outside, no difference beyond noise;
     * benchmarks/RESULTS.md, eighth pass).
     */
    private static float[] outsideGrads(ConvGeometry g, float[] gradCols, int gcOff, GradColumnsLayout layout, int q,
                                        int og, int kpt, float m) {
        int cg = g.channelsPerGroup;
        FloatVector vm = FloatVector.broadcast(SPECIES, m), zero = FloatVector.zero(SPECIES);
        FloatVector slopeTerms = zero, valueTerms = zero;
        for (int s = g.segFirst[og]; s < g.segFirst[og + 1]; s++) {
            int grp = g.segGroup[s], cs = g.segStart[s], ce = g.segEnd[s];
            // A segment's channels are contiguous in both layouts (one kernel point): channel ch at src + ch.
            int src = layout.at(gcOff, grp, q, kpt * cg - grp * cg + cs) - cs;
            for (int ch = cs; ch < ce; ch += L) {
                // Masked-off lanes load 0 and add +0.
                VectorMask<Float> in = SPECIES.indexInRange(ch, ce);
                FloatVector gs = FloatVector.fromArray(SPECIES, gradCols, src + ch, in);
                slopeTerms = slopeTerms.add(gs.mul(vm).mul(zero));
                valueTerms = valueTerms.add(gs.mul(zero));
            }
        }
        float slopes = sumLanes(slopeTerms);
        return new float[] {slopes, slopes, sumLanes(valueTerms)};
    }

    /** Channels {@code [cFrom, cTo)} of the interior of {@code gradPadded} into {@code gradInput[n]} (NCHW). */
    static void unpadNhwc(ConvGeometry g, float[] gradPadded, int n, float[] gradInput, int cFrom, int cTo) {
        int c = g.channels, h = g.height, w = g.width, wp = g.paddedWidth, hw = h * w;
        for (int y = 0; y < h; y++) {
            int src = ((y + 1) * wp + 1) * c;
            int ch = cFrom;
            // Four channel planes at a time (see BilinearIm2col.padNhwc).
            for (; ch + 4 <= cTo; ch += 4) {
                int d0 = (n * c + ch) * hw + y * w, d1 = d0 + hw, d2 = d1 + hw, d3 = d2 + hw;
                for (int x = 0; x < w; x++) {
                    int s = src + x * c + ch;
                    gradInput[d0 + x] = gradPadded[s];
                    gradInput[d1 + x] = gradPadded[s + 1];
                    gradInput[d2 + x] = gradPadded[s + 2];
                    gradInput[d3 + x] = gradPadded[s + 3];
                }
            }
            for (; ch < cTo; ch++) {
                int d0 = (n * c + ch) * hw + y * w;
                for (int x = 0; x < w; x++) gradInput[d0 + x] = gradPadded[src + x * c + ch];
            }
        }
    }

    /** Zeroes padded rows {@code [rFrom, rTo)} of {@code gradPadded}. */
    static void clearRows(ConvGeometry g, float[] gradPadded, int rFrom, int rTo) {
        int rowLen = g.paddedWidth * g.channels;
        Arrays.fill(gradPadded, rFrom * rowLen, rTo * rowLen, 0f);
    }
}
