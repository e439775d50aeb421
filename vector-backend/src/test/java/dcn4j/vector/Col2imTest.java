package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Col2im#offsetMaskGrads} and {@link Col2im#scatter} take their one-segment loops for one group, one offset
 * group and whole vectors of channels; those must give the bits of the general loops, on the inputs
 * where the two could part: samples outside the image, on its lines {@code p = -1} and {@code p = size}, NaN and
 * infinite offsets, masks, pixels and gradient columns, both borders, strides, dilations, chunks that start mid-row.
 * (The general loop is checked against the reference by the conformance suite.) The one-segment loops read
 * kernel-point-major gradient columns ({@link GradColumnsLayout}) too, with the bits they give row-major. If this
 * fails, check the order of the additions in the one-segment loop and where it reads the gradient columns
 * ({@link GradColumnsLayout#at}, {@link GradColumnsLayout#kernelPointStride}).
 */
class Col2imTest {

    @Test
    void oneSegmentOffsetAndMaskGradientsEqualTheGeneralLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(2027);
        int cases = 0;
        for (int t = 0; t < 300; t++) {
            Case k = randomCase(r, t, Sgemm.L, 3);
            if (k == null) continue;
            ConvGeometry g = k.g;
            GradColumnsLayout rowMajor = GradColumnsLayout.rowMajor(g, k.count);
            float[] offOne = marked(k.offset.length), offGeneral = marked(k.offset.length);
            float[] maskOne = k.mask != null ? marked(k.mask.length) : null;
            float[] maskGeneral = k.mask != null ? marked(k.mask.length) : null;
            int q0 = r.nextInt(k.count), len = 1 + r.nextInt(k.count - q0);
            Col2im.offsetMaskGradsOneSegment(g, k.table, k.padded, k.gradCols, 0, rowMajor, k.item, k.p0, q0, len,
                    offOne, maskOne);
            Col2im.offsetMaskGradsGeneral(g, k.table, k.padded, k.gradCols, 0, rowMajor, k.item, k.p0, q0, len,
                    offGeneral, maskGeneral);
            String what = k.what + ", pixels " + q0 + ".." + (q0 + len);
            same(offGeneral, offOne, what + ": offset gradient");
            if (k.mask != null) same(maskGeneral, maskOne, what + ": mask gradient");
            cases++;
        }
        assertTrue(cases > 200, "cases run: " + cases);
    }

    @Test
    void oneSegmentScatterEqualsTheGeneralLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(2028);
        int cases = 0;
        for (int t = 0; t < 300; t++) {
            Case k = randomCase(r, t, Sgemm.L, 3);
            if (k == null) continue;
            ConvGeometry g = k.g;
            GradColumnsLayout rowMajor = GradColumnsLayout.rowMajor(g, k.count);
            int vectors = g.channels / Sgemm.L, v0 = r.nextInt(vectors), v1 = v0 + 1 + r.nextInt(vectors - v0);
            float[] one = new float[(int) g.paddedSize];
            for (int i = 0; i < one.length; i++) one[i] = (float) r.nextDouble(-1, 1);
            float[] general = one.clone();
            Col2im.scatterOneSegment(g, k.table, k.gradCols, 0, rowMajor, 0, k.count, v0 * Sgemm.L, v1 * Sgemm.L, one);
            Col2im.scatterGeneral(g, k.table, k.gradCols, 0, rowMajor, 0, k.count, v0 * Sgemm.L, v1 * Sgemm.L, general);
            same(general, one, k.what + ", channels " + v0 * Sgemm.L + ".." + v1 * Sgemm.L + ": input gradient");
            cases++;
        }
        assertTrue(cases > 200, "cases run: " + cases);
    }

    /**
     * The same column gradient kept kernel-point-major (a block offset, its rows rounded up to {@code MR}, spare rows
     * NaN) gives the one-segment loops' row-major bits, whole vectors of channels and channel ranges alike, on the
     * same special values as above. Channels: 1-3 GEMM panels ({@code NR}).
     */
    @Test
    void kernelPointMajorGradientColumnsGiveTheRowMajorBitsBitForBit() {
        SplittableRandom r = new SplittableRandom(2030);
        int cases = 0;
        for (int t = 0; t < 120; t++) {
            Case k = randomCase(r, t, Sgemm.NR, 3);
            if (k == null) continue;
            ConvGeometry g = k.g;
            int rows = (k.count + Sgemm.MR - 1) / Sgemm.MR * Sgemm.MR, gcOff = 1 + r.nextInt(40), c = g.channels;
            GradColumnsLayout rowMajor = GradColumnsLayout.rowMajor(g, k.count);
            GradColumnsLayout kpMajor = GradColumnsLayout.kernelPointMajor(g, rows);
            float[] kpColumns = new float[gcOff + rows * g.groupK + Sgemm.NR];
            Arrays.fill(kpColumns, Float.NaN);
            for (int q = 0; q < k.count; q++) {
                for (int kk = 0; kk < g.groupK; kk++) {
                    // Defined independently of GradColumnsLayout.at: kernel point kk/C, row q, channel kk%C.
                    kpColumns[gcOff + (kk / c * rows + q) * c + kk % c] = k.gradCols[q * g.groupK + kk];
                }
            }
            int q0 = r.nextInt(k.count), len = 1 + r.nextInt(k.count - q0);
            float[] offRow = marked(k.offset.length), offKp = marked(k.offset.length);
            float[] maskRow = k.mask != null ? marked(k.mask.length) : null;
            float[] maskKp = k.mask != null ? marked(k.mask.length) : null;
            Col2im.offsetMaskGrads(g, k.table, k.padded, k.gradCols, 0, rowMajor, k.item, k.p0, q0, len, offRow,
                    maskRow);
            Col2im.offsetMaskGrads(g, k.table, k.padded, kpColumns, gcOff, kpMajor, k.item, k.p0, q0, len, offKp,
                    maskKp);
            String what = k.what + ", pixels " + q0 + ".." + (q0 + len);
            same(offRow, offKp, what + ": offset gradient");
            if (k.mask != null) same(maskRow, maskKp, what + ": mask gradient");
            int vectors = g.channels / Sgemm.L, v0 = r.nextInt(vectors), v1 = v0 + 1 + r.nextInt(vectors - v0);
            float[] fromRows = new float[(int) g.paddedSize];
            for (int i = 0; i < fromRows.length; i++) fromRows[i] = (float) r.nextDouble(-1, 1);
            float[] fromKp = fromRows.clone();
            Col2im.scatter(g, k.table, k.gradCols, 0, rowMajor, q0, len, v0 * Sgemm.L, v1 * Sgemm.L, fromRows);
            Col2im.scatter(g, k.table, kpColumns, gcOff, kpMajor, q0, len, v0 * Sgemm.L, v1 * Sgemm.L, fromKp);
            same(fromRows, fromKp, what + ", channels " + v0 * Sgemm.L + ".." + v1 * Sgemm.L + ": input gradient");
            cases++;
        }
        assertTrue(cases > 80, "cases run: " + cases);
    }

    /** The general loops read vectors of channels anywhere in a row: given kernel-point-major columns they refuse. */
    @Test
    void theGeneralLoopsRefuseKernelPointMajorGradientColumns() {
        Case k = null;
        for (int t = 0; k == null; t++) k = randomCase(new SplittableRandom(2031 + t), t, Sgemm.NR, 1);
        Case c = k;
        int rows = (c.count + Sgemm.MR - 1) / Sgemm.MR * Sgemm.MR;
        GradColumnsLayout kpMajor = GradColumnsLayout.kernelPointMajor(c.g, rows);
        float[] kpColumns = new float[kpMajor.at(0, 0, 0, c.g.groupK) + Sgemm.NR * c.count];
        assertThrows(IllegalStateException.class, () -> Col2im.scatterGeneral(c.g, c.table, kpColumns, 0, kpMajor, 0,
                c.count, 0, c.g.channels, new float[(int) c.g.paddedSize]));
        assertThrows(IllegalStateException.class, () -> Col2im.offsetMaskGradsGeneral(c.g, c.table, c.padded, kpColumns, 0,
                kpMajor, c.item, c.p0, 0, c.count, new float[c.offset.length], null));
    }

    /**
     * A sample more than a pixel outside the image reads nothing: its slope terms are {@code (gc*m)*0} and its value
     * terms {@code gc*0}, so each gradient is +0 unless one of those products is NaN ({@code gc} or {@code gc*m} not
     * finite: an infinite gradient column, or a finite one times a mask that overflows). Expected values from that
     * rule, channel by channel; the vector loop of {@code Col2im.outsideGrads} must give them bit for bit.
     */
    @Test
    void samplesOutsideTheImageHaveZeroGradientsUnlessAProductIsNotFinite() {
        SplittableRandom r = new SplittableRandom(2029);
        for (int t = 0; t < 200; t++) {
            int h = 1 + r.nextInt(6), w = 1 + r.nextInt(9), c = Sgemm.L * (1 + r.nextInt(3)) - r.nextInt(2) * (1 + r.nextInt(3));
            DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
            ConvGeometry g = new ConvGeometry(new DeformConv2dShape(spec, dcn4j.DType.F32, 1, c, h, w, 3, 3, 3, h, w,
                    true, true, false));
            float[] input = new float[c * h * w], offset = new float[18 * g.pixels], mask = new float[9 * g.pixels];
            for (int i = 0; i < offset.length; i++) offset[i] = (r.nextBoolean() ? 1 : -1) * (20 + r.nextInt(100));
            // Finite masks (a non-finite one outside the image is a NaN sample, not this kind), some huge.
            for (int i = 0; i < mask.length; i++) mask[i] = r.nextInt(5) == 0 ? 3e38f : (float) r.nextDouble(-2, 2);
            float[] padded = new float[(int) g.paddedSize];
            BilinearIm2col.padNhwc(g, input, 0, padded, 0, g.height + 2);
            SampleTable table = new SampleTable(g, g.pixels, new int[SampleTable.entries(g, g.pixels)],
                    new float[4 * SampleTable.entries(g, g.pixels)], new float[SampleTable.FRAC * SampleTable.entries(g, g.pixels)],
                    true);
            table.fill(g, offset, mask, 0, 0, g.pixels, 0, true);
            float[] gradCols = new float[g.pixels * g.groupK + Sgemm.NR];
            for (int i = 0; i < gradCols.length; i++) {
                gradCols[i] = r.nextInt(300) == 0 ? pick(r) : (float) (r.nextDouble(-1, 1) * (r.nextInt(4) == 0 ? 1e10 : 1));
            }
            float[] gOff = marked(offset.length), gMask = marked(mask.length);
            GradColumnsLayout rowMajor = GradColumnsLayout.rowMajor(g, g.pixels);
            Col2im.offsetMaskGrads(g, table, padded, gradCols, 0, rowMajor, 0, 0, 0, g.pixels, gOff, gMask);
            float[] expectedOff = new float[offset.length], expectedMask = new float[mask.length];
            for (int q = 0; q < g.pixels; q++) {
                for (int kpt = 0; kpt < 9; kpt++) {
                    assertEquals(SampleTable.OUTSIDE, table.base[kpt * table.capacity + q], "case " + t + ": an outside sample");
                    float m = mask[kpt * g.pixels + q];
                    boolean slopeNaN = false, valueNaN = false;
                    for (int ch = 0; ch < c; ch++) {
                        float gc = gradCols[q * g.groupK + kpt * c + ch];
                        slopeNaN |= !Float.isFinite(gc * m);
                        valueNaN |= !Float.isFinite(gc);
                    }
                    expectedOff[2 * kpt * g.pixels + q] = slopeNaN ? Float.NaN : 0f;
                    expectedOff[(2 * kpt + 1) * g.pixels + q] = slopeNaN ? Float.NaN : 0f;
                    expectedMask[kpt * g.pixels + q] = valueNaN ? Float.NaN : 0f;
                }
            }
            String what = "case " + t + " (" + c + " channels, " + h + "x" + w + ")";
            same(expectedOff, gOff, what + ": offset gradient");
            same(expectedMask, gMask, what + ": mask gradient");
        }
    }

    /**
     * {@code Col2im.fastGrads} sums dot products over the channels and combines them once, in another order than
     * the reference's term-by-term sums. Against those sums computed here in float64 (the reference's precision) on
     * every ordinary entry (inside the image, finite mask) of random cases, some with NaN and infinite pixels,
     * gradient columns, offsets and masks: a non-finite expected value must come out the same (NaN, or an infinity
     * of that sign: the fallback to the term-by-term loop), a finite one within float32 rounding of the terms' sizes,
     * the mask gradient's terms at their corner weights (offsets a float ulp from an integer make weights 1e-7 apart).
     * Both the one-segment loop (channels a multiple of the vector) and the general one (any channel count).
     */
    @Test
    void theDotProductFormGivesTheTermByTermSumsAndTheirNonFiniteValues() {
        SplittableRandom r = new SplittableRandom(2031);
        int checked = 0, nonFinite = 0;
        for (int t = 0; t < 400; t++) {
            Case k = t % 2 == 0 ? randomCase(r, t, Sgemm.L, 3) : randomCase(r, t, 3, 9);
            if (k == null) continue;
            ConvGeometry g = k.g;
            float[] gOff = marked(k.offset.length), gMask = k.mask != null ? marked(k.mask.length) : null;
            Col2im.offsetMaskGrads(g, k.table, k.padded, k.gradCols, 0, GradColumnsLayout.rowMajor(g, k.count), k.item,
                    k.p0, 0, k.count, gOff, gMask);
            int kk = g.kernelSize, c = g.channels, pixels = g.pixels, d10 = g.paddedWidth * c;
            for (int q = 0; q < k.count; q++) {
                for (int kpt = 0; kpt < kk; kpt++) {
                    int e = kpt * k.table.capacity + q, b = k.table.base[e];
                    if (b < 0) continue;
                    double ly = k.table.frac(e, 0), lx = k.table.frac(e, 1), m = k.table.frac(e, 2);
                    double hy = k.table.frac(e, 3), hx = k.table.frac(e, 4);
                    boolean slopeY = k.table.frac(e, 5) != 0f, slopeX = k.table.frac(e, 6) != 0f;
                    double sy = 0, sx = 0, sm = 0, sizeY = 0, sizeX = 0, sizeM = 0;
                    double w00 = hy * hx, w01 = hy * lx, w10 = ly * hx, w11 = ly * lx;
                    for (int ch = 0; ch < c; ch++) {
                        double gc = k.gradCols[q * g.groupK + kpt * c + ch];
                        double v00 = k.padded[b + ch], v01 = k.padded[b + ch + c];
                        double v10 = k.padded[b + ch + d10], v11 = k.padded[b + ch + d10 + c];
                        sy += gc * (slopeY ? hx * (v10 - v00) + lx * (v11 - v01) : 0);
                        sx += gc * (slopeX ? hy * (v01 - v00) + ly * (v11 - v10) : 0);
                        sm += gc * (w00 * v00 + w01 * v01 + w10 * v10 + w11 * v11);
                        double size = Math.abs(gc) * (Math.abs(v00) + Math.abs(v01) + Math.abs(v10) + Math.abs(v11));
                        sizeY += slopeY ? size : 0;
                        sizeX += slopeX ? size : 0;
                        // The mask's scale is each corner's term at its weight (the conformance suite's magnitude):
                        // a corner weighing 1e-13 next to one weighing 1e-6 must not take the other's rounding.
                        sizeM += Math.abs(gc) * (w00 * Math.abs(v00) + w01 * Math.abs(v01) + w10 * Math.abs(v10)
                                + w11 * Math.abs(v11));
                    }
                    int p = k.p0 + q, offY = (k.item * 2 * kk + 2 * kpt) * pixels + p;
                    String what = k.what + ", pixel " + q + ", kernel point " + kpt;
                    nonFinite += close(m * sy, Math.abs(m) * sizeY, gOff[offY], what + ": d/dy") ? 0 : 1;
                    nonFinite += close(m * sx, Math.abs(m) * sizeX, gOff[offY + pixels], what + ": d/dx") ? 0 : 1;
                    if (gMask != null) {
                        nonFinite += close(sm, sizeM, gMask[(k.item * kk + kpt) * pixels + p], what + ": d/dmask") ? 0 : 1;
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 5000, "ordinary entries checked: " + checked);
        assertTrue(nonFinite > 50, "non-finite expected values checked: " + nonFinite);
    }

    /** Whether {@code expected} is finite; asserts {@code actual} is it within float32 rounding of {@code size}. */
    private static boolean close(double expected, double size, float actual, String what) {
        if (Double.isNaN(expected)) {
            assertTrue(Float.isNaN(actual), what + ": expected NaN, got " + actual);
            return false;
        }
        if (Double.isInfinite(expected)) {
            assertEquals((float) expected, actual, what);
            return false;
        }
        if (Math.abs(expected) > Float.MAX_VALUE || Double.isInfinite(size)) return true; // float32 overflows
        assertEquals(expected, actual, 1e-5 * size + 1e-30, what);
        return true;
    }

    /** A one-group, one-offset-group layer and its sample table for a chunk of pixels. */
    private record Case(ConvGeometry g, float[] offset, float[] mask, SampleTable table, float[] padded,
                        float[] gradCols, int item, int p0, int count, String what) {
    }

    /** A {@link Case} of 1 to {@code units} times {@code channelUnit} channels. */
    private static Case randomCase(SplittableRandom r, int t, int channelUnit, int units) {
        int h = 1 + r.nextInt(9), w = 1 + r.nextInt(23), kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
        int sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
        int ph = r.nextInt(3), pw = r.nextInt(3);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        if (oh < 1 || ow < 1) return null;
        boolean hasMask = r.nextBoolean(), special = r.nextInt(4) == 0;
        DeformConv2dSpec.Border border = r.nextInt(3) == 0 ? DeformConv2dSpec.Border.DCNV1 : DeformConv2dSpec.Border.TORCHVISION;
        DeformConv2dSpec spec = new DeformConv2dSpec(sh, sw, ph, pw, dh, dw, 1, 1).withBorder(border);
        int n = 2, c = channelUnit * (1 + r.nextInt(units));
        ConvGeometry g = new ConvGeometry(new DeformConv2dShape(spec, dcn4j.DType.F32, n, c, h, w, 5, kh, kw, oh, ow,
                true, hasMask, false));
        float[] input = new float[n * c * h * w], offset = new float[n * 2 * kh * kw * g.pixels];
        float[] mask = hasMask ? new float[n * kh * kw * g.pixels] : null;
        for (int i = 0; i < input.length; i++) input[i] = special && r.nextInt(50) == 0 ? pick(r) : (float) r.nextDouble(-1, 1);
        // Special cases draw NaN and infinite offsets and masks too (a non-finite mask inside makes unmodulated entries).
        for (int i = 0; i < offset.length; i++) offset[i] = SampleTableTest.offsetValue(r, special ? 5 : 1);
        if (mask != null) for (int i = 0; i < mask.length; i++) mask[i] = SampleTableTest.maskValue(r, special ? 7 : 1);
        int item = r.nextInt(n), p0 = r.nextInt(g.pixels), count = 1 + r.nextInt(g.pixels - p0);
        float[] padded = new float[(int) g.paddedSize];
        boolean finite = BilinearIm2col.padNhwc(g, input, item, padded, 0, g.height + 2);
        int entries = SampleTable.entries(g, count);
        SampleTable table = new SampleTable(g, count, new int[entries], new float[4 * entries],
                new float[SampleTable.FRAC * entries], finite);
        table.fill(g, offset, mask, item, p0, count, 0, true);
        float[] gradCols = new float[count * g.groupK + Sgemm.NR];
        for (int i = 0; i < gradCols.length; i++) gradCols[i] = special && r.nextInt(200) == 0 ? pick(r) : (float) r.nextDouble(-1, 1);
        String what = "case " + t + " (" + c + " channels, " + h + "x" + w + ", kernel " + kh + "x" + kw + ", " + spec
                + ", p0 " + p0 + ", " + count + " pixels)";
        return new Case(g, offset, mask, table, padded, gradCols, item, p0, count, what);
    }

    private static float pick(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> Float.NaN;
            case 1 -> Float.POSITIVE_INFINITY;
            default -> Float.NEGATIVE_INFINITY;
        };
    }

    private static float[] marked(int length) {
        float[] a = new float[length];
        Arrays.fill(a, -7.25f);
        return a;
    }

    /** Bit for bit, except that every NaN is one value: the sign and payload of a NaN vary with the JIT's state. */
    private static void same(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                    what + " at " + i + " (" + expected[i] + " vs " + actual[i] + ")");
        }
    }
}
