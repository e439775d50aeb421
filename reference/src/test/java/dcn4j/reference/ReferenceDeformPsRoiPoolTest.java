package dcn4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Deformable (PS) RoI pooling of the reference backend (paper eq. 5-7, DESIGN.md "Deformable PS RoI
 * pooling"): hand-computed cases, one test per quirk of the official MXNet kernel, an independent
 * per-bin loop, and gradients against finite differences. Every expected number below is worked out
 * in the comment beside it.
 */
class ReferenceDeformPsRoiPoolTest {

    private static final Backend B = new ReferenceBackend();
    private static double worstInputFd = 0, worstOffsetFd = 0, worstNaive = 0;

    @AfterAll
    static void report() {
        System.out.printf("deform_psroi_pool reference: worst |grad - fd| / max(1,|grad|): input %.3e, offset %.3e;"
                + " worst relative distance to the naive loop %.3e%n", worstInputFd, worstOffsetFd, worstNaive);
    }

    private static PsRoiCase single(DeformPsRoiPoolSpec spec, int n, int h, int w, double[] input, double[] rois,
                                    double[] offset, int numClasses) {
        return new PsRoiCase(spec, n, h, w, input, rois, offset, numClasses);
    }

    /** A 1 x 1 x h x w plane holding {@code f(y, x)}. */
    private static double[] plane(int h, int w, java.util.function.IntBinaryOperator f) {
        double[] a = new double[h * w];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) a[y * w + x] = f.applyAsInt(y, x);
        return a;
    }

    // ---------------------------------------------------------------- hand-computed forward and backward

    @Test
    void oneBinOneSampleReadsTheBilinearBlendAtTheDeformedCorner() {
        // spatialScale 1, pooled 1, 1 sample, transStd 0.5. RoI (0, 1,1, 2,2): start = 1 - 0.5 = 0.5,
        // end = (2+1) - 0.5 = 2.5, so width = height = 2. Offsets (x, y) = (0.3, 0.4) move the corner by
        // 0.5*0.3*2 = 0.3 and 0.5*0.4*2 = 0.4: the only sample is (w, h) = (0.8, 0.9).
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 1, 0.5);
        double[] input = {
            1, 2, 7, 7,
            4, 16, 7, 7,
            7, 7, 7, 7};
        var c = single(spec, 1, 3, 4, input, new double[] {0, 1, 1, 2, 2}, new double[] {0.3, 0.4}, 1);
        // (1-.8)(1-.9)*1 + (1-.8)(.9)*4 + (.8)(1-.9)*2 + (.8)(.9)*16 = .02 + .72 + .16 + 11.52 = 12.42
        assertEquals(12.42, c.forward(B)[0], 1e-12);

        double[][] g = c.backward(B, new double[] {3});
        double[] expectedInput = new double[12];
        expectedInput[0] = 3 * 0.02;   // (y0,x0) weight (1-dx)(1-dy)
        expectedInput[4] = 3 * 0.18;   // (y1,x0) weight (1-dx) dy
        expectedInput[1] = 3 * 0.08;   // (y0,x1) weight dx (1-dy)
        expectedInput[5] = 3 * 0.72;   // (y1,x1) weight dx dy
        assertArrayEquals(expectedInput, g[0], 1e-12);
        // d/dw = (1-dy)(2-1) + dy(16-4) = 0.1 + 10.8 = 10.9; d/dh = (1-dx)(4-1) + dx(16-2) = 0.6 + 11.2 = 11.8;
        // times transStd * roiSize = 0.5 * 2 = 1 and the output gradient 3.
        assertArrayEquals(new double[] {3 * 10.9, 3 * 11.8}, g[1], 1e-12);
    }

    @Test
    void positionSensitiveBinsReadTheirOwnScoreMaps() {
        // Channel c holds the constant c, so each output is the channel its bin reads:
        // (ctop*groupSize + gh)*groupSize + gw with gh = floor(ph*groupSize/pooled).
        for (int pooled : new int[] {3, 6}) {
            var spec = new DeformPsRoiPoolSpec(1.0, 2, 3, pooled, pooled, 2, 0.1);
            int h = 10, w = 10;
            double[] input = new double[18 * h * w];
            for (int i = 0; i < input.length; i++) input[i] = i / (h * w);
            double[] out = single(spec, 1, h, w, input, new double[] {0, 0, 0, 8, 8}, null, 1).forward(B);
            for (int ctop = 0; ctop < 2; ctop++) {
                for (int ph = 0; ph < pooled; ph++) {
                    for (int pw = 0; pw < pooled; pw++) {
                        // pooled 3: gh = ph; pooled 6: gh = ph / 2 (bins 0,1 -> cell 0, ...).
                        int gh = pooled == 3 ? ph : ph / 2, gw = pooled == 3 ? pw : pw / 2;
                        assertEquals((ctop * 3 + gh) * 3 + gw, out[(ctop * pooled + ph) * pooled + pw], 1e-12,
                                "pooled " + pooled + " bin " + ctop + "," + ph + "," + pw);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- identities and an independent loop

    @Test
    void zeroOffsetIsNoTrans() {
        Random rnd = new Random(11);
        for (int t = 0; t < 20; t++) {
            PsRoiCase withOffset = PsRoiCase.random(rnd, 1 + rnd.nextInt(3), true);
            PsRoiCase zero = withOffset.withOffset(new double[withOffset.offset().length]);
            PsRoiCase noTrans = new PsRoiCase(zero.spec(), zero.batch(), zero.height(), zero.width(), zero.input(),
                    zero.rois(), null, 1);
            assertArrayEquals(noTrans.forward(B), zero.forward(B), "case " + t);
            double[] gradOut = PsRoiCase.uniform(rnd, zero.outputSize(), 1);
            assertArrayEquals(noTrans.backward(B, gradOut)[0], zero.backward(B, gradOut)[0], "case " + t);
        }
    }

    @Test
    void groupSizeOneIsDeformableRoiPoolingAsADirectPerBinLoop() {
        // groupSize 1, outputDim = C: the paper's (non-PS) deformable RoI pooling, eq. 5-7, bin by bin.
        Random rnd = new Random(12);
        for (int t = 0; t < 40; t++) {
            PsRoiCase c = PsRoiCase.random(rnd, 1, t % 4 != 0);
            assertClose(c.naiveForward(), c.forward(B), "group 1 case " + t);
        }
    }

    @Test
    void positionSensitivePoolingMatchesADirectPerBinLoop() {
        Random rnd = new Random(13);
        for (int t = 0; t < 40; t++) {
            PsRoiCase c = PsRoiCase.random(rnd, 2 + rnd.nextInt(2), t % 4 != 0);
            assertClose(c.naiveForward(), c.forward(B), "PS case " + t);
        }
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) / Math.max(scale, 1e-300);
            worstNaive = Math.max(worstNaive, err);
            assertTrue(err <= 1e-12, what + " element " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    // ---------------------------------------------------------------- quirks of the official kernel

    /** One row {@code v[x] = x + 1} of width 8, pooled 1, 2 samples per side, no offset. */
    private static double rowPool(double scale, double x1, double x2) {
        var spec = new DeformPsRoiPoolSpec(scale, 1, 1, 1, 1, 2, 0.1);
        double[] row = plane(1, 8, (y, x) -> x + 1);
        return single(spec, 1, 1, 8, row, new double[] {0, x1, 0, x2, 0}, null, 1).forward(B)[0];
    }

    @Test
    void roiCornersRoundHalfAwayFromZero() {
        // Row v[x] = x + 1, scale 1; y1 = y2 = 0 puts both h samples at -0.5 and 0, both read row 0.
        // x1 2.5 -> 3, x2 5: start 2.5, width 3, w samples 2.5, 4.0 -> (3.5 + 5)/2 = 4.25 (half-even: 3.5)
        assertEquals(4.25, rowPool(1, 2.5, 5), 1e-12);
        // x1 0.5 -> 1: start 0.5, width 5, samples 0.5, 3.0 -> (1.5 + 4)/2 = 2.75 (half-even would give 0)
        assertEquals(2.75, rowPool(1, 0.5, 5), 1e-12);
        assertEquals(2.75, rowPool(1, 1.4999999999, 5), 1e-12);
        // x1 -0.5 -> -1: start -1.5 (skipped), width 7, second sample 2.0 -> 3.0 (half-up would give 1.75)
        assertEquals(3.0, rowPool(1, -0.5, 5), 1e-12);
        // x1 -1.5 -> -2, x2 1.5 -> 2: start -2.5 (skipped), width 5, sample 0.0 -> 1.0 (half-up: 1.5)
        assertEquals(1.0, rowPool(1, -1.5, 1.5), 1e-12);
        // x2 4.5 -> 5 as 5 itself.
        assertEquals(4.25, rowPool(1, 2.5, 4.5), 1e-12);
    }

    @Test
    void tinyAndInvertedRoisAreAtLeastOneTenthWide() {
        // scale 0.01, x1 = x2 = 300: start 2.5, end 3.01 - 0.5 = 2.51, width 0.01 -> 0.1;
        // samples 2.5, 2.55 -> (3.5 + 3.55)/2 = 3.525 (without the minimum: 3.5025).
        assertEquals(3.525, rowPool(0.01, 300, 300), 1e-12);
        // Inverted: x1 5, x2 2: start 4.5, end 2.5, width -2 -> 0.1; samples 4.5, 4.55 -> 5.525.
        assertEquals(5.525, rowPool(1, 5, 2), 1e-12);

        // The offset is scaled by the clamped width too (eq. 7): offset x 1, transStd 1 moves by 0.1,
        // samples 4.6, 4.65 -> 5.625, and d out / d offset_x = slope 1 * transStd 1 * width 0.1.
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 2, 1.0);
        var c = single(spec, 1, 1, 8, plane(1, 8, (y, x) -> x + 1), new double[] {0, 5, 0, 2, 0},
                new double[] {1, 0}, 1);
        assertEquals(5.625, c.forward(B)[0], 1e-12);
        assertArrayEquals(new double[] {0.1, 0.0}, c.backward(B, new double[] {1})[1], 1e-12);
    }

    @Test
    void skipEdgesAtMinusHalfAndSizeMinusHalfAreInclusive() {
        // v(y, x) = 10y + x + 1 on 3 x 4; pooled 1, 1 sample at the RoI corner (x1 - 0.5, y1 - 0.5) + shift.
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 1, 1.0);
        double[] img = plane(3, 4, (y, x) -> 10 * y + x + 1);
        double[] rois = {
            0, 0, 0, 0, 0,      // (-0.5, -0.5): on both edges, taken, clamped to (0,0) -> 1
            0, 4, 3, 4, 3,      // (w, h) = (3.5, 2.5) = (W - 0.5, H - 0.5): taken, clamped to (2,3) -> 24
            0, -1, 0, -1, 0,    // w = -1.5: skipped -> 0
            0, 0, 0, 0, 0,      // w = -0.5 - 1e-9 (offset): skipped -> 0
            0, 0, 0, 0, 0,      // h = -0.5 - 1e-9: skipped -> 0
            0, 4, 3, 4, 3,      // w = 3.5 + 1e-9: skipped -> 0
            0, 4, 3, 4, 3};     // h = 2.5 + 1e-9: skipped -> 0
        // RoIs are 1 x 1 after the +1 of x2, y2, so an offset moves the sample by transStd * offset.
        double[] offset = {0, 0, 0, 0, 0, 0, -1e-9, 0, 0, -1e-9, 1e-9, 0, 0, 1e-9};
        var c = single(spec, 1, 3, 4, img, rois, offset, 1);
        assertArrayEquals(new double[] {1, 24, 0, 0, 0, 0, 0}, c.forward(B), 0.0);
    }

    @Test
    void samplesBetweenTheImageAndTheSkipEdgeAreClampedNotZeroPadded() {
        // v(y, x) = 10y + x + 1 on 3 x 4. RoI (0,0,0,0,0) with offset x +0.25: (w, h) = (-0.25, -0.5),
        // clamped to (0, 0) -> v = 1 (deformable convolution's zero padding would give 0.75 * 0.5 * 1).
        // RoI (0,4,0,4,0) with offset x -0.25: w = 3.25 clamped to 3, h -0.5 to 0 -> v(0,3) = 4.
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 1, 1.0);
        double[] img = plane(3, 4, (y, x) -> 10 * y + x + 1);
        var c = single(spec, 1, 3, 4, img, new double[] {0, 0, 0, 0, 0, 0, 4, 0, 4, 0},
                new double[] {0.25, 0, -0.25, 0}, 1);
        assertArrayEquals(new double[] {1, 4}, c.forward(B), 0.0);
        double[][] g = c.backward(B, new double[] {1, 1});
        double[] expectedInput = new double[12];
        expectedInput[0] = 1;  // all of the first sample's weight on pixel (0,0)
        expectedInput[3] = 1;  // all of the second's on (0,3)
        assertArrayEquals(expectedInput, g[0], 0.0);
        // A clamped coordinate is an integer, so its slope is 0: the exact derivative of a constant.
        assertArrayEquals(new double[] {0, 0, 0, 0}, g[1], 0.0);
        assertEquals(1, c.withOffset(new double[] {0.25 + 1e-3, 1e-3, -0.25, 0}).forward(B)[0], 0.0);
    }

    @Test
    void offsetSlopeAtAnIntegerCoordinateIsZeroBecauseTheKernelUsesCeilNotFloorPlusOne() {
        // v(y, x) = x^2 + 3y^2 + xy on 4 x 5: curved, so the slopes left and right of x = 2 differ.
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 1, 1.0);
        double[] img = plane(4, 5, (y, x) -> x * x + 3 * y * y + x * y);
        // RoI (0, 3,1, 3,1): corner (2.5, 0.5), size 1 x 1. Offset (-0.5, 0.25): sample (w, h) = (2.0, 0.75).
        var c = single(spec, 1, 4, 5, img, new double[] {0, 3, 1, 3, 1}, new double[] {-0.5, 0.25}, 1);
        // v(0,2) = 4, v(1,2) = 9: value 0.25*4 + 0.75*9 = 7.75.
        assertEquals(7.75, c.forward(B)[0], 1e-12);
        double[][] g = c.backward(B, new double[] {1});
        // x: ceil(2) = floor(2), slope 0. floor + 1 would give the right slope
        // 0.25*(v(0,3) - v(0,2)) + 0.75*(v(1,3) - v(1,2)) = 0.25*(9 - 4) + 0.75*(15 - 9) = 5.75.
        assertEquals(0.0, g[1][0], 0.0);
        // y: the slope along column 2, v(1,2) - v(0,2) = 5, times transStd*height = 1.
        assertEquals(5.0, g[1][1], 1e-12);
        // The input gradient puts the whole x weight on column 2: 0.25 on (0,2), 0.75 on (1,2).
        double[] expectedInput = new double[20];
        expectedInput[2] = 0.25;
        expectedInput[5 + 2] = 0.75;
        assertArrayEquals(expectedInput, g[0], 1e-12);
        // It really is a kink: one-sided difference quotients of the forward are 5.75 (right) and
        // 0.25*(4 - 1) + 0.75*(9 - 5) = 3.75 (left).
        double right = (c.withOffset(new double[] {-0.5 + 1e-6, 0.25}).forward(B)[0] - 7.75) / 1e-6;
        double left = (7.75 - c.withOffset(new double[] {-0.5 - 1e-6, 0.25}).forward(B)[0]) / 1e-6;
        assertEquals(5.75, right, 1e-6);
        assertEquals(3.75, left, 1e-6);

        // Same along y: offset (0.25, 0.5) gives (w, h) = (2.75, 1.0); y slope 0, x slope v(1,3) - v(1,2) = 6.
        double[] gy = c.withOffset(new double[] {0.25, 0.5}).backward(B, new double[] {1})[1];
        assertArrayEquals(new double[] {6.0, 0.0}, gy, 1e-12);
    }

    @Test
    void outputIsTheMeanOverSamplesTakenAndZeroWhenNoneIs() {
        // Row v[x] = x + 1 of width 4, 2 samples per side. RoI (0,-2,0,1,0): start -2.5, width 4,
        // w samples -2.5 (skipped) and -0.5 (taken, reads v[0] = 1), each at h = -0.5 and 0: 2 taken of 4.
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 2, 1.0);
        double[] row = plane(1, 4, (y, x) -> x + 1);
        var c = single(spec, 1, 1, 4, row, new double[] {0, -2, 0, 1, 0, 0, -9, 0, -6, 0},
                new double[] {0, 0, 0.3, 0.2}, 1);
        // Mean over the 2 taken samples: 1 (dividing by 4 would give 0.5). RoI 2 lies wholly left: 0.
        assertArrayEquals(new double[] {1, 0}, c.forward(B), 0.0);
        double[][] g = c.backward(B, new double[] {1, 5});
        // RoI 1: each of its 2 samples passes 1/2 to pixel 0. RoI 2 took no sample: no gradient at all.
        assertArrayEquals(new double[] {1, 0, 0, 0}, g[0], 0.0);
        assertArrayEquals(new double[] {0, 0, 0, 0}, g[1], 0.0);
    }

    @Test
    void batchIndexIsTruncatedTowardZero() {
        // Image 0 holds 1 everywhere, image 1 holds 2. 1.9 -> 1, 0.999 -> 0, -0.7 -> 0 (valid).
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 1, 1, 1, 0.1);
        double[] input = {1, 1, 1, 1, 2, 2, 2, 2};
        var c = single(spec, 2, 2, 2, input, new double[] {1.9, 0, 0, 1, 1, 0.999, 0, 0, 1, 1, -0.7, 0, 0, 1, 1},
                null, 1);
        assertArrayEquals(new double[] {2, 1, 1}, c.forward(B), 0.0);
        double[][] g = c.backward(B, new double[] {1, 0, 0});
        // RoI 0's single sample at (-0.5, -0.5) clamps to (0,0) of image 1.
        assertArrayEquals(new double[] {0, 0, 0, 0, 1, 0, 0, 0}, g[0], 0.0);
    }

    @Test
    void emptyRoiListGivesAnEmptyOutputAndZeroGradients() {
        var spec = new DeformPsRoiPoolSpec(0.5, 2, 2, 3, 2, 2, 0.1);
        Tensor input = B.tensor(DType.F64, new int[] {1, 8, 4, 4}, new double[128]);
        Tensor rois = B.tensor(DType.F64, new int[] {0, 5}, new double[0]);
        Tensor offset = B.tensor(DType.F64, new int[] {0, 2, 2, 2}, new double[0]);
        Tensor out = B.deformPsRoiPool(spec, input, rois, offset);
        assertArrayEquals(new int[] {0, 2, 3, 3}, out.shape());
        DeformPsRoiPoolGradients g = B.deformPsRoiPoolBackward(spec, out, input, rois, offset,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        assertArrayEquals(new double[128], g.input().toDoubleArray(), 0.0);
        assertArrayEquals(new int[] {0, 2, 2, 2}, g.offset().shape());
    }

    @Test
    void offsetClassIsOutputChannelOverChannelsPerClassAndPartCellIsTheBinScaledToThePartGrid() {
        // outputDim 4 with 2 classes: channels 0,1 use class 0, channels 2,3 class 1. pooled 4, part 2:
        // bins 0,1 use part cell 0 and bins 2,3 part cell 1 along each axis.
        var spec = new DeformPsRoiPoolSpec(1.0, 4, 1, 4, 2, 2, 0.1);
        Random rnd = new Random(5);
        var c = single(spec, 1, 12, 12, PsRoiCase.uniform(rnd, 4 * 144, 1), new double[] {0, 1.2, 1.3, 8.1, 8.4},
                PsRoiCase.uniform(rnd, 2 * 2 * 4, 1), 2);
        int[][] cases = {{2, 3, 1}, {1, 0, 2}, {3, 1, 3}};  // (ctop, ph, pw)
        for (int[] k : cases) {
            int ctop = k[0], ph = k[1], pw = k[2];
            double[] gradOut = new double[4 * 16];
            gradOut[(ctop * 4 + ph) * 4 + pw] = 1;
            double[] go = c.backward(B, gradOut)[1];
            int cls = ctop / 2, partH = ph / 2, partW = pw / 2;
            // offset [1, 2*numClasses, 2, 2]: channel 2*cls is x, 2*cls + 1 is y.
            int ix = ((2 * cls) * 2 + partH) * 2 + partW, iy = ((2 * cls + 1) * 2 + partH) * 2 + partW;
            for (int i = 0; i < go.length; i++) {
                if (i == ix || i == iy) {
                    assertNotEquals(0.0, go[i], "bin " + ctop + "," + ph + "," + pw + " offset " + i);
                } else {
                    assertEquals(0.0, go[i], 0.0, "bin " + ctop + "," + ph + "," + pw + " offset " + i);
                }
            }
        }
    }

    @Test
    void partCellUsesTheKernelsFloatingPointOrderNotIntegerDivision() {
        // The kernel computes floor((double) ph / pooled * part). For pooled = part = 22 and ph = 15 that
        // is floor(14.999999999999998) = 14, where integer division 15*22/22 gives 15.
        assertEquals(14, (int) Math.floor((double) 15 / 22 * 22));
        var spec = new DeformPsRoiPoolSpec(1.0, 1, 1, 22, 22, 1, 0.1);
        Random rnd = new Random(6);
        // RoI (0, 0,0, 21,21): start -0.5, size 22, bins of 1: bin 15 samples at 14.5, away from integers.
        var c = single(spec, 1, 24, 24, PsRoiCase.uniform(rnd, 576, 1), new double[] {0, 0, 0, 21, 21},
                new double[2 * 22 * 22], 1);
        double[] gradOut = new double[22 * 22];
        gradOut[15 * 22 + 15] = 1;
        double[] go = c.backward(B, gradOut)[1];
        assertNotEquals(0.0, go[14 * 22 + 14], "x offset of part cell (14,14)");
        assertEquals(0.0, go[15 * 22 + 15], 0.0, "x offset of part cell (15,15)");
    }

    // ---------------------------------------------------------------- gradients vs finite differences

    @Test
    void inputGradientEqualsFiniteDifferencesBecauseThePoolingIsLinearInTheInput() {
        Random rnd = new Random(21);
        for (int t = 0; t < 12; t++) {
            PsRoiCase c = PsRoiCase.random(rnd, 1 + t % 3, t % 2 == 0);
            double[] gradOut = PsRoiCase.uniform(rnd, c.outputSize(), 1);
            double[] grad = c.backward(B, gradOut)[0];
            double[] x = c.input().clone();
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                x[i] = v + 1;  // any step: the loss is linear in the input, so the difference is exact
                double plus = PsRoiCase.dot(gradOut, c.withInput(x).forward(B));
                x[i] = v - 1;
                double minus = PsRoiCase.dot(gradOut, c.withInput(x).forward(B));
                x[i] = v;
                double fd = (plus - minus) / 2;
                double err = Math.abs(fd - grad[i]) / Math.max(1, Math.abs(grad[i]));
                worstInputFd = Math.max(worstInputFd, err);
                assertTrue(err <= 1e-12, "case " + t + " input " + i + ": backward " + grad[i] + ", fd " + fd);
            }
        }
    }

    @Test
    void offsetGradientEqualsCentralDifferencesAwayFromIntegersAndSkipEdges() {
        Random rnd = new Random(22);
        int checked = 0;
        for (int t = 0; checked < 12; t++) {
            assertTrue(t < 400, "could not draw cases clear of the kinks");
            PsRoiCase c = PsRoiCase.random(rnd, 1 + t % 3, true);
            // Redraw the offsets until every sample is at least 1e-3 from a kink (integer, skip edge).
            for (int k = 0; k < 50 && c.clearance() < 1e-3; k++) {
                c = c.withOffset(PsRoiCase.uniform(rnd, c.offset().length, 1));
            }
            double clear = c.clearance();
            if (clear < 1e-3) continue;
            checked++;
            // The largest move of a sample per unit of offset is transStd * roiSize; stay within half the
            // clearance so that no sample crosses a kink, where the loss is linear in each offset.
            double maxSize = 0;
            for (int r = 0; r < c.roiCount(); r++) {
                var box = NaivePsRoiPool.box(c.rois(), r, c.spec().spatialScale());
                maxSize = Math.max(maxSize, Math.max(box.width(), box.height()));
            }
            double step = Math.min(1e-2, 0.5 * clear / (c.spec().transStd() * maxSize));
            double[] gradOut = PsRoiCase.uniform(rnd, c.outputSize(), 1);
            double[] grad = c.backward(B, gradOut)[1];
            double[] o = c.offset().clone();
            for (int i = 0; i < o.length; i++) {
                double v = o[i];
                o[i] = v + step;
                double plus = PsRoiCase.dot(gradOut, c.withOffset(o).forward(B));
                o[i] = v - step;
                double minus = PsRoiCase.dot(gradOut, c.withOffset(o).forward(B));
                o[i] = v;
                double fd = (plus - minus) / (2 * step);
                double err = Math.abs(fd - grad[i]) / Math.max(1, Math.abs(grad[i]));
                worstOffsetFd = Math.max(worstOffsetFd, err);
                assertTrue(err <= 1e-8, "case " + t + " offset " + i + ": backward " + grad[i] + ", fd " + fd
                        + " (step " + step + ", clearance " + clear + ")");
            }
        }
    }

    // ---------------------------------------------------------------- what is returned

    @Test
    void onlyTheRequestedGradientsAreComputed() {
        PsRoiCase c = PsRoiCase.random(new Random(31), 2, true);
        Tensor input = B.tensor(DType.F64, c.inputShape(), c.input());
        Tensor rois = B.tensor(DType.F64, new int[] {c.roiCount(), 5}, c.rois());
        Tensor offset = B.tensor(DType.F64, c.offsetShape(), c.offset());
        Tensor gradOut = B.tensor(DType.F64, B.deformPsRoiPool(c.spec(), input, rois, offset).shape(),
                PsRoiCase.uniform(new Random(32), c.outputSize(), 1));
        var onlyInput = B.deformPsRoiPoolBackward(c.spec(), gradOut, input, rois, offset, EnumSet.of(Gradient.INPUT));
        assertNull(onlyInput.offset());
        assertArrayEquals(c.inputShape(), onlyInput.input().shape());
        var onlyOffset = B.deformPsRoiPoolBackward(c.spec(), gradOut, input, rois, offset,
                EnumSet.of(Gradient.OFFSET));
        assertNull(onlyOffset.input());
        assertArrayEquals(c.offsetShape(), onlyOffset.offset().shape());
        // no_trans: there is no offset to differentiate.
        var noTrans = B.deformPsRoiPoolBackward(c.spec(), gradOut, input, rois, null,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        assertNull(noTrans.offset());
    }
}
