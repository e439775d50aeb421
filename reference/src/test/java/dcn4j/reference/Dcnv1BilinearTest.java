package dcn4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The official DCNv1 border rule ({@link Dcnv1Bilinear}, DESIGN.md "Border rules") on hand-computed
 * points, through the operator: one 1x1 kernel of weight 1 samples the 3x4 image below at one chosen
 * point, the other output pixels sample far outside.
 */
class Dcnv1BilinearTest {

    private static final int H = 3, W = 4;
    /** {@code I[y][x] = 10*y + x*x + 1}: no two slopes alike. */
    private static final double[] IMAGE = new double[H * W];

    static {
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) IMAGE[y * W + x] = 10 * y + x * x + 1;
        }
    }

    private final Backend ref = new ReferenceProvider().open(dcn4j.BackendOptions.defaults());

    private static double pixel(int y, int x) {
        return IMAGE[y * W + x];
    }

    /** The operator's output at a sample placed at {@code (py, px)} (output pixel (0, 0), offset = position). */
    private double value(DeformConv2dSpec.Border border, double py, double px) {
        return ref.deformConv2d(spec(border), ref.tensor(DType.F64, new int[] {1, 1, H, W}, IMAGE), offset(py, px),
                null, ref.tensor(DType.F64, new int[] {1, 1, 1, 1}, new double[] {1}), null).toDoubleArray()[0];
    }

    /** {@code [d/d dy, d/d dx]} of output pixel (0, 0) from the backward. */
    private double[] offsetGradient(DeformConv2dSpec.Border border, double py, double px) {
        double[] gradOut = new double[H * W];
        gradOut[0] = 1;
        try (DeformConv2dGradients g = ref.deformConv2dBackward(spec(border),
                ref.tensor(DType.F64, new int[] {1, 1, H, W}, gradOut),
                ref.tensor(DType.F64, new int[] {1, 1, H, W}, IMAGE), offset(py, px), null,
                ref.tensor(DType.F64, new int[] {1, 1, 1, 1}, new double[] {1}), null,
                EnumSet.of(Gradient.OFFSET))) {
            double[] o = g.offset().toDoubleArray();
            return new double[] {o[0], o[H * W]};
        }
    }

    private static DeformConv2dSpec spec(DeformConv2dSpec.Border border) {
        return DeformConv2dSpec.defaults().withBorder(border);
    }

    private dcn4j.Tensor offset(double py, double px) {
        double[] off = new double[2 * H * W];
        java.util.Arrays.fill(off, -100);
        off[0] = py;        // dy of output (0, 0), whose grid point is (0, 0)
        off[H * W] = px;    // dx
        return ref.tensor(DType.F64, new int[] {1, 2, H, W}, off);
    }

    @Test
    void insideTheImageBothRulesBlendTheFourCorners() {
        double expected = 0.75 * 0.5 * pixel(1, 2) + 0.75 * 0.5 * pixel(1, 3) + 0.25 * 0.5 * pixel(2, 2)
                + 0.25 * 0.5 * pixel(2, 3);
        assertEquals(expected, value(DeformConv2dSpec.Border.DCNV1, 1.25, 2.5), 1e-12);
        assertEquals(expected, value(DeformConv2dSpec.Border.TORCHVISION, 1.25, 2.5), 1e-12);
    }

    @Test
    void pastTheLastRowAndColumnTheEdgeIsReadNotBlendedWithZero() {
        // py = 2.5 >= H-1: row 2 as it is (torchvision: half of it, blended with the zero row 3).
        double row = 0.75 * pixel(2, 1) + 0.25 * pixel(2, 2);
        assertEquals(row, value(DeformConv2dSpec.Border.DCNV1, 2.5, 1.25), 1e-12);
        assertEquals(0.5 * row, value(DeformConv2dSpec.Border.TORCHVISION, 2.5, 1.25), 1e-12);
        // px = 3.75 >= W-1 as well: the corner pixel itself.
        assertEquals(pixel(2, 3), value(DeformConv2dSpec.Border.DCNV1, 2.9, 3.75), 1e-12);
        assertEquals(0.1 * 0.25 * pixel(2, 3), value(DeformConv2dSpec.Border.TORCHVISION, 2.9, 3.75), 1e-12);
    }

    @Test
    void nothingIsReadBelowZeroOrFromTheLastRowOnward() {
        // torchvision fades over [-1, 0]; DCNv1 reads only 0 <= p < size.
        assertEquals(0.0, value(DeformConv2dSpec.Border.DCNV1, -0.25, 1), 0.0);
        assertEquals(0.75 * pixel(0, 1), value(DeformConv2dSpec.Border.TORCHVISION, -0.25, 1), 1e-12);
        assertEquals(0.0, value(DeformConv2dSpec.Border.DCNV1, 1, -1e-9), 0.0);
        assertEquals(0.0, value(DeformConv2dSpec.Border.DCNV1, H, 1), 0.0);
        assertEquals(0.0, value(DeformConv2dSpec.Border.DCNV1, 1, W), 0.0);
        assertEquals(pixel(0, 0), value(DeformConv2dSpec.Border.DCNV1, 0, 0), 0.0);
    }

    @Test
    void offsetGradientIsTheSlopeInsideAndZeroAlongAMovedCoordinate() {
        // Interior: d/dpy = (1-lx)(I[2,1]-I[1,1]) + lx (I[2,2]-I[1,2]); d/dpx likewise.
        double[] g = offsetGradient(DeformConv2dSpec.Border.DCNV1, 1.5, 1.25);
        assertEquals(0.75 * (pixel(2, 1) - pixel(1, 1)) + 0.25 * (pixel(2, 2) - pixel(1, 2)), g[0], 1e-12);
        assertEquals(0.5 * (pixel(1, 2) - pixel(1, 1)) + 0.5 * (pixel(2, 2) - pixel(2, 1)), g[1], 1e-12);
        // Past the last row: the value does not depend on py (slope 0), along x it is row 2's slope.
        g = offsetGradient(DeformConv2dSpec.Border.DCNV1, 2.5, 1.25);
        assertEquals(0.0, g[0], 0.0);
        assertEquals(pixel(2, 2) - pixel(2, 1), g[1], 1e-12);
        // Outside: nothing, also where torchvision's slope is not zero.
        g = offsetGradient(DeformConv2dSpec.Border.DCNV1, -0.5, 1.25);
        assertEquals(0.0, g[0], 0.0);
        assertEquals(0.0, g[1], 0.0);
        assertTrue(offsetGradient(DeformConv2dSpec.Border.TORCHVISION, -0.5, 1.25)[0] != 0);
    }

    @Test
    void offsetGradientEqualsFiniteDifferencesWhereTheValueIsSmooth() {
        double step = 1e-6;
        double[][] points = {{0.3, 0.6}, {1.7, 2.2}, {2.4, 0.5}, {0.8, 3.3}, {2.6, 3.9}, {0.01, 0.99}};
        for (double[] p : points) {
            double[] g = offsetGradient(DeformConv2dSpec.Border.DCNV1, p[0], p[1]);
            double dy = (value(DeformConv2dSpec.Border.DCNV1, p[0] + step, p[1])
                    - value(DeformConv2dSpec.Border.DCNV1, p[0] - step, p[1])) / (2 * step);
            double dx = (value(DeformConv2dSpec.Border.DCNV1, p[0], p[1] + step)
                    - value(DeformConv2dSpec.Border.DCNV1, p[0], p[1] - step)) / (2 * step);
            assertEquals(dy, g[0], 1e-7, "d/dpy at " + p[0] + "," + p[1]);
            assertEquals(dx, g[1], 1e-7, "d/dpx at " + p[0] + "," + p[1]);
        }
    }

    /**
     * Where the official gradient is not the derivative of the forward (DESIGN.md "Border rules"): the
     * value jumps at {@code py = 0} (from 0 to row 0) and at {@code py = H} (from row {@code H-1} to 0); the
     * kernel's {@code get_coordinate_weight} gives the slope of the piece inside the image there and ignores
     * the jump, which finite differences see as a slope of order {@code pixel / step}.
     */
    @Test
    void officialGradientIgnoresTheJumpsAtTheBorder() {
        double step = 1e-6;
        // At py = 0: the right derivative inside (row 1 minus row 0), while the jump dominates the difference.
        double[] g = offsetGradient(DeformConv2dSpec.Border.DCNV1, 0, 1.5);
        double inside = 0.5 * (pixel(1, 1) - pixel(0, 1)) + 0.5 * (pixel(1, 2) - pixel(0, 2));
        assertEquals(inside, g[0], 1e-12);
        double central = (value(DeformConv2dSpec.Border.DCNV1, step, 1.5)
                - value(DeformConv2dSpec.Border.DCNV1, -step, 1.5)) / (2 * step);
        double jump = 0.5 * pixel(0, 1) + 0.5 * pixel(0, 2);
        assertEquals(jump / (2 * step), central, 1e-3 * jump / step);
        // Just below py = H the value is row H-1 and the gradient 0; one step later the value is 0.
        g = offsetGradient(DeformConv2dSpec.Border.DCNV1, H - step / 2, 1.5);
        assertEquals(0.0, g[0], 0.0);
        assertEquals(0.0, value(DeformConv2dSpec.Border.DCNV1, H - step / 2 + step, 1.5), 0.0);
        assertEquals(0.5 * pixel(2, 1) + 0.5 * pixel(2, 2), value(DeformConv2dSpec.Border.DCNV1, H - step / 2, 1.5),
                1e-12);
        // Same along x at px = 0.
        g = offsetGradient(DeformConv2dSpec.Border.DCNV1, 1.5, 0);
        assertEquals(0.5 * (pixel(1, 1) - pixel(1, 0)) + 0.5 * (pixel(2, 1) - pixel(2, 0)), g[1], 1e-12);
    }

    @Test
    void inputGradientIsTheAdjointOfTheValue() {
        // <grad_input, v> = d/dt value(I + t v) for a linear value: the weights of the four corners.
        double[][] points = {{1.25, 2.5}, {2.5, 1.25}, {2.9, 3.75}, {0, 0}, {-0.5, 1}, {1, 3.5}};
        for (double[] p : points) {
            double[] gradOut = new double[H * W];
            gradOut[0] = 1;
            try (DeformConv2dGradients g = ref.deformConv2dBackward(spec(DeformConv2dSpec.Border.DCNV1),
                    ref.tensor(DType.F64, new int[] {1, 1, H, W}, gradOut),
                    ref.tensor(DType.F64, new int[] {1, 1, H, W}, IMAGE), offset(p[0], p[1]), null,
                    ref.tensor(DType.F64, new int[] {1, 1, 1, 1}, new double[] {1}), null,
                    EnumSet.of(Gradient.INPUT))) {
                double[] gi = g.input().toDoubleArray();
                double dot = 0;
                for (int i = 0; i < gi.length; i++) dot += gi[i] * IMAGE[i];
                assertEquals(value(DeformConv2dSpec.Border.DCNV1, p[0], p[1]), dot, 1e-12,
                        "at " + p[0] + "," + p[1]);
            }
        }
    }

    /**
     * DESIGN.md "Non-finite values" under DCNV1: a NaN coordinate propagates (value and slopes NaN, no
     * input gradient), a ±∞ one is outside; a moved coordinate has no second corner, so an infinite pixel
     * on the last row is read as ±∞ (the CUDA kernel's repeated zero-weight read would give NaN) and its
     * slope along the moved axis is exactly 0; a zero-weight corner receives no input gradient.
     */
    @Test
    void nonFiniteValuesFollowThePropagationRule() {
        double[] img = IMAGE.clone();
        assertTrue(Double.isNaN(Dcnv1Bilinear.value(img, 0, H, W, Double.NaN, 1)));
        assertTrue(Double.isNaN(Dcnv1Bilinear.slopeY(img, 0, H, W, 1, Double.NaN)));
        assertTrue(Double.isNaN(Dcnv1Bilinear.slopeX(img, 0, H, W, Double.NaN, 1)));
        double[] grad = new double[H * W];
        Dcnv1Bilinear.scatter(grad, 0, H, W, Double.NaN, 0.5, 1);
        assertEquals(0, java.util.Arrays.stream(grad).map(Math::abs).sum());
        assertEquals(0, Dcnv1Bilinear.value(img, 0, H, W, Double.POSITIVE_INFINITY, 1));
        assertEquals(0, Dcnv1Bilinear.slopeY(img, 0, H, W, 1, Double.NEGATIVE_INFINITY));

        img[(H - 1) * W + 1] = Double.POSITIVE_INFINITY;
        assertEquals(Double.POSITIVE_INFINITY, Dcnv1Bilinear.value(img, 0, H, W, H - 0.5, 1));
        assertEquals(0, Dcnv1Bilinear.slopeY(img, 0, H, W, H - 0.5, 1));
        // Row H-2 at an integer py reads the infinite row H-1 with weight 0: 0 * inf = NaN, as torchvision's rule.
        assertTrue(Double.isNaN(Dcnv1Bilinear.value(img, 0, H, W, H - 2, 1)));

        Dcnv1Bilinear.scatter(grad, 0, H, W, 1, 2, Double.POSITIVE_INFINITY);
        for (int i = 0; i < H * W; i++) {
            assertEquals(i == W + 2 ? Double.POSITIVE_INFINITY : 0, grad[i], "pixel " + i);
        }
    }
}
