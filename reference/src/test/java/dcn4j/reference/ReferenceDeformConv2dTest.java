package dcn4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The reference deformable convolution against laws computed without it: central finite
 * differences for every gradient, and an independent direct convolution loop for zero/integer
 * offsets (DESIGN.md "Semantics", paper eq. 1-2).
 */
class ReferenceDeformConv2dTest {

    private final Backend ref = new ReferenceProvider().open(dcn4j.BackendOptions.defaults());

    /** One configuration: shape, spec, and which optional arguments exist. */
    record Config(String name, int n, int c, int h, int w, int o, int kh, int kw, DeformConv2dSpec spec,
                  boolean mask, boolean bias) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final DeformConv2dSpec.Border DCNV1 = DeformConv2dSpec.Border.DCNV1;

    static List<Config> configs() {
        DeformConv2dSpec d = DeformConv2dSpec.defaults();
        return List.of(
                new Config("v1-3x3-pad1", 1, 2, 5, 6, 3, 3, 3, d.withPadding(1, 1), false, true),
                new Config("modulated-stride2", 2, 2, 6, 5, 2, 3, 3, d.withStride(2, 2).withPadding(1, 1), true, true),
                new Config("groups2-offsetGroups2", 1, 4, 5, 5, 4, 3, 3,
                        d.withGroups(2).withOffsetGroups(2).withPadding(1, 1), true, false),
                new Config("offsetGroups2-groups1-nonSquareKernel", 1, 4, 6, 7, 3, 2, 3,
                        d.withOffsetGroups(2).withDilation(2, 1), false, true),
                new Config("groups4-offsetGroups2-dilation", 1, 4, 7, 6, 4, 3, 2,
                        d.withGroups(4).withOffsetGroups(2).withDilation(2, 2).withPadding(2, 1), true, true),
                new Config("strideLargerThanKernel", 1, 1, 7, 7, 2, 2, 2, d.withStride(3, 3), true, false),
                new Config("oneByOneImage", 1, 2, 1, 1, 2, 3, 3, d.withPadding(1, 1), true, true),
                // ONNX pads [top, left, bottom, right] (issue 13 item 2), ONNX Runtime's [1, 0, 0, 1] first.
                new Config("onnxPads-1-0-0-1", 1, 2, 4, 5, 2, 2, 2, d.withPadding(1, 0, 0, 1), false, true),
                new Config("asymmetricPads-stride2-dilation", 1, 2, 6, 7, 2, 3, 2,
                        d.withPadding(0, 2, 2, 1).withStride(2, 1).withDilation(1, 2), true, false),
                // The official DCNv1 border rule (issue 13 item 1): samples on and past the last row/column.
                new Config("dcnv1-3x3-pad1", 1, 2, 5, 6, 3, 3, 3, d.withPadding(1, 1).withBorder(DCNV1), false, true),
                new Config("dcnv1-modulated-asymmetricPads-groups", 1, 4, 5, 4, 2, 3, 3,
                        d.withPadding(2, 0, 1, 2).withGroups(2).withOffsetGroups(2).withBorder(DCNV1), true, true),
                new Config("dcnv1-oneByOneImage", 1, 2, 1, 1, 2, 3, 3, d.withPadding(1, 1).withBorder(DCNV1), true,
                        false));
    }

    /**
     * Offsets whose sample points have fractional parts in [0.2, 0.8]: finite differences with a
     * small step then never cross a cell edge, the image border or the {@code p <= -1} cut (nor, under
     * {@code Border.DCNV1}, its jumps at {@code p = 0} and {@code p = size}: integers too).
     */
    private static double[] offsetsAwayFromCellEdges(Config cfg, Random rnd) {
        DeformConv2dSpec s = cfg.spec();
        int ho = s.outputHeight(cfg.h(), cfg.kh()), wo = s.outputWidth(cfg.w(), cfg.kw());
        int og = s.offsetGroups(), k = cfg.kh() * cfg.kw();
        double[] off = new double[cfg.n() * 2 * og * k * ho * wo];
        for (int i = 0; i < off.length; i++) {
            // Grid positions are integers, so an offset of integer + [0.2, 0.8] keeps samples off edges.
            off[i] = (rnd.nextInt(5) - 2) + 0.2 + 0.6 * rnd.nextDouble();
        }
        return off;
    }

    private static double[] uniform(int size, Random rnd, double lo, double hi) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) a[i] = lo + (hi - lo) * rnd.nextDouble();
        return a;
    }

    /** The arguments of one call as host arrays. */
    record Args(double[] input, double[] offset, double[] mask, double[] weight, double[] bias, double[] gradOut) {
    }

    private Args randomArgs(Config cfg, long seed) {
        Random rnd = new Random(seed);
        DeformConv2dSpec s = cfg.spec();
        int ho = s.outputHeight(cfg.h(), cfg.kh()), wo = s.outputWidth(cfg.w(), cfg.kw());
        int og = s.offsetGroups(), k = cfg.kh() * cfg.kw();
        return new Args(uniform(cfg.n() * cfg.c() * cfg.h() * cfg.w(), rnd, -1, 1),
                offsetsAwayFromCellEdges(cfg, rnd),
                cfg.mask() ? uniform(cfg.n() * og * k * ho * wo, rnd, 0.1, 1) : null,
                uniform(cfg.o() * (cfg.c() / s.groups()) * k, rnd, -1, 1),
                cfg.bias() ? uniform(cfg.o(), rnd, -1, 1) : null,
                uniform(cfg.n() * cfg.o() * ho * wo, rnd, -1, 1));
    }

    private Tensor t(int[] shape, double[] data) {
        return data == null ? null : ref.tensor(DType.F64, shape, data);
    }

    private int[][] shapes(Config cfg) {
        DeformConv2dSpec s = cfg.spec();
        int ho = s.outputHeight(cfg.h(), cfg.kh()), wo = s.outputWidth(cfg.w(), cfg.kw());
        int og = s.offsetGroups(), k = cfg.kh() * cfg.kw();
        return new int[][] {{cfg.n(), cfg.c(), cfg.h(), cfg.w()}, {cfg.n(), 2 * og * k, ho, wo},
                {cfg.n(), og * k, ho, wo}, {cfg.o(), cfg.c() / s.groups(), cfg.kh(), cfg.kw()}, {cfg.o()}};
    }

    private double[] forward(Config cfg, Args a) {
        int[][] sh = shapes(cfg);
        return ref.deformConv2d(cfg.spec(), t(sh[0], a.input()), t(sh[1], a.offset()), t(sh[2], a.mask()),
                t(sh[3], a.weight()), t(sh[4], a.bias())).toDoubleArray();
    }

    /** {@code L = <gradOut, forward(args)>}: its gradient is what backward returns. */
    private double loss(Config cfg, Args a) {
        double[] out = forward(cfg, a);
        double l = 0;
        for (int i = 0; i < out.length; i++) l += out[i] * a.gradOut()[i];
        return l;
    }

    private static double normRelative(double[] actual, double[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-300);
    }

    /** Central differences of the loss with respect to the array that {@code select} picks from the args. */
    private double[] finiteDifferences(Config cfg, Args a, Function<Args, double[]> select) {
        double[] x = select.apply(a);
        double[] grad = new double[x.length];
        double step = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + step;
            double up = loss(cfg, a);
            x[i] = keep - step;
            double down = loss(cfg, a);
            x[i] = keep;
            grad[i] = (up - down) / (2 * step);
        }
        return grad;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void everyGradientEqualsCentralFiniteDifferences(Config cfg) {
        Args a = randomArgs(cfg, 42);
        int[][] sh = shapes(cfg);
        DeformConv2dGradients g = ref.deformConv2dBackward(cfg.spec(), t(new int[] {cfg.n(), cfg.o(),
                        cfg.spec().outputHeight(cfg.h(), cfg.kh()), cfg.spec().outputWidth(cfg.w(), cfg.kw())},
                        a.gradOut()), t(sh[0], a.input()), t(sh[1], a.offset()), t(sh[2], a.mask()),
                t(sh[3], a.weight()), t(sh[4], a.bias()), Gradient.all());
        // Loss is bilinear per cell in (offset, input, weight, mask, bias): 1e-6 steps give ~1e-9 accuracy.
        double tol = 1e-7;
        assertNorm("input", g.input().toDoubleArray(), finiteDifferences(cfg, a, Args::input), tol);
        assertNorm("offset", g.offset().toDoubleArray(), finiteDifferences(cfg, a, Args::offset), tol);
        assertNorm("weight", g.weight().toDoubleArray(), finiteDifferences(cfg, a, Args::weight), tol);
        if (cfg.mask()) assertNorm("mask", g.mask().toDoubleArray(), finiteDifferences(cfg, a, Args::mask), tol);
        else assertNull(g.mask());
        if (cfg.bias()) assertNorm("bias", g.bias().toDoubleArray(), finiteDifferences(cfg, a, Args::bias), tol);
        else assertNull(g.bias());
    }

    private static void assertNorm(String what, double[] actual, double[] expected, double tol) {
        double err = normRelative(actual, expected);
        assertTrue(err <= tol, what + ": norm-relative error " + err + " > " + tol);
    }

    /** A direct convolution loop sharing no code with the reference (DESIGN.md, offset = 0). */
    private static double[] directConvolution(Config cfg, double[] input, double[] weight, double[] bias,
                                              int shiftY, int shiftX) {
        DeformConv2dSpec s = cfg.spec();
        int ho = s.outputHeight(cfg.h(), cfg.kh()), wo = s.outputWidth(cfg.w(), cfg.kw());
        int cg = cfg.c() / s.groups(), ocg = cfg.o() / s.groups();
        double[] out = new double[cfg.n() * cfg.o() * ho * wo];
        for (int n = 0; n < cfg.n(); n++)
            for (int o = 0; o < cfg.o(); o++)
                for (int y = 0; y < ho; y++)
                    for (int x = 0; x < wo; x++) {
                        double acc = bias == null ? 0 : bias[o];
                        int g = o / ocg;
                        for (int cl = 0; cl < cg; cl++)
                            for (int i = 0; i < cfg.kh(); i++)
                                for (int j = 0; j < cfg.kw(); j++) {
                                    int iy = y * s.strideH() - s.padTop() + i * s.dilationH() + shiftY;
                                    int ix = x * s.strideW() - s.padLeft() + j * s.dilationW() + shiftX;
                                    if (iy < 0 || iy >= cfg.h() || ix < 0 || ix >= cfg.w()) continue;
                                    acc += weight[((o * cg + cl) * cfg.kh() + i) * cfg.kw() + j]
                                            * input[((n * cfg.c() + g * cg + cl) * cfg.h() + iy) * cfg.w() + ix];
                                }
                        out[((n * cfg.o() + o) * ho + y) * wo + x] = acc;
                    }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void zeroOffsetsEqualPlainConvolution(Config cfg) {
        Args a = randomArgs(cfg, 7);
        double[] expected = directConvolution(cfg, a.input(), a.weight(), a.bias(), 0, 0);
        Args zero = new Args(a.input(), new double[a.offset().length], null, a.weight(), a.bias(), a.gradOut());
        assertArrayEquals(expected, forward(cfg, zero), 1e-12);
        Args absent = new Args(a.input(), null, null, a.weight(), a.bias(), a.gradOut());
        assertArrayEquals(expected, forward(cfg, absent), 1e-12);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void integerOffsetsEqualShiftedConvolution(Config cfg) {
        Args a = randomArgs(cfg, 11);
        double[] off = new double[a.offset().length];
        int pixels = cfg.spec().outputHeight(cfg.h(), cfg.kh()) * cfg.spec().outputWidth(cfg.w(), cfg.kw());
        int channels = off.length / cfg.n() / pixels;
        // Same (dy, dx) = (2, -1) at every point: a convolution whose window is shifted by (2, -1).
        // Channel 2k holds dy and 2k+1 holds dx (DESIGN.md).
        for (int i = 0; i < off.length; i++) off[i] = (i / pixels) % channels % 2 == 0 ? 2 : -1;
        double[] expected = directConvolution(cfg, a.input(), a.weight(), a.bias(), 2, -1);
        assertArrayEquals(expected, forward(cfg, new Args(a.input(), off, null, a.weight(), a.bias(), null)), 1e-12);
    }

    @Test
    void samplesFarOutsideTheImageReadZeroAndHaveZeroGradients() {
        Config cfg = configs().get(0);
        Args a = randomArgs(cfg, 3);
        double[] far = a.offset().clone();
        for (int i = 0; i < far.length; i++) far[i] = (i % 3 == 0 ? 1e3 : -50.5);
        Args outside = new Args(a.input(), far, null, a.weight(), a.bias(), a.gradOut());
        double[] out = forward(cfg, outside);
        for (int i = 0; i < out.length; i++) assertEquals(a.bias()[(i / 30) % cfg.o()], out[i], 0.0);
        int[][] sh = shapes(cfg);
        DeformConv2dGradients g = ref.deformConv2dBackward(cfg.spec(), t(new int[] {1, 3, 5, 6}, a.gradOut()),
                t(sh[0], a.input()), t(sh[1], far), null, t(sh[3], a.weight()), t(sh[4], a.bias()),
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        for (double v : g.input().toDoubleArray()) assertEquals(0.0, v, 0.0);
        for (double v : g.offset().toDoubleArray()) assertEquals(0.0, v, 0.0);
    }

    @Test
    void integerCoordinatesUseTheRightDerivative() {
        // 1x1 kernel, one channel, image row 0..4 = x^2: at px = 2 exactly the slope is that of cell [2,3].
        Backend b = ref;
        double[] img = {0, 1, 4, 9, 16};
        Tensor input = b.tensor(DType.F64, new int[] {1, 1, 1, 5}, img);
        Tensor weight = b.tensor(DType.F64, new int[] {1, 1, 1, 1}, new double[] {1});
        double[] off = new double[2 * 5];
        Tensor offset = b.tensor(DType.F64, new int[] {1, 2, 1, 5}, off);
        Tensor gradOut = b.tensor(DType.F64, new int[] {1, 1, 1, 5}, new double[] {1, 1, 1, 1, 1});
        double[] gOff = b.deformConv2dBackward(DeformConv2dSpec.defaults(), gradOut, input, offset, null, weight,
                null, EnumSet.of(Gradient.OFFSET)).offset().toDoubleArray();
        // d/dx at x = 0,1,2,3: image[x+1]-image[x]; at x = 4 the right neighbour is outside (0): 0 - 16.
        assertArrayEquals(new double[] {1, 3, 5, 7, -16}, java.util.Arrays.copyOfRange(gOff, 5, 10), 0.0);
        // d/dy on a one-row image at y = 0: the row below is outside the image (0): -image[x].
        assertArrayEquals(new double[] {-0.0, -1, -4, -9, -16}, java.util.Arrays.copyOfRange(gOff, 0, 5), 0.0);

        // At py = -1 exactly the value is 0 but the right derivative is not: row 0 enters the cell [-1, 0].
        double[] up = new double[10];
        java.util.Arrays.fill(up, 0, 5, -1.0);
        double[] gUp = b.deformConv2dBackward(DeformConv2dSpec.defaults(), gradOut, input,
                b.tensor(DType.F64, new int[] {1, 2, 1, 5}, up), null, weight, null, EnumSet.of(Gradient.OFFSET))
                .offset().toDoubleArray();
        assertArrayEquals(img, java.util.Arrays.copyOfRange(gUp, 0, 5), 0.0);
        for (double v : b.deformConv2d(DeformConv2dSpec.defaults(), input,
                b.tensor(DType.F64, new int[] {1, 2, 1, 5}, up), null, weight, null).toDoubleArray()) {
            assertEquals(0.0, v, 0.0);
        }
    }

    /**
     * ONNX pads {@code [top, left, bottom, right]} under torchvision's border equal an explicit zero padding
     * of the input followed by a convolution without padding (offsets relative to the padded grid): the
     * golden cases of {@code cases/torchvision-asym} are computed that way.
     */
    @Test
    void asymmetricPaddingEqualsExplicitZeroPaddingOfTheInput() {
        Config cfg = new Config("pads-2-0-1-3", 2, 2, 4, 5, 3, 3, 2,
                DeformConv2dSpec.defaults().withPadding(2, 0, 1, 3).withStride(1, 2), true, true);
        Args a = randomArgs(cfg, 17);
        int top = 2, left = 0, bottom = 1, right = 3, hp = cfg.h() + top + bottom, wp = cfg.w() + left + right;
        double[] padded = new double[cfg.n() * cfg.c() * hp * wp];
        for (int nc = 0; nc < cfg.n() * cfg.c(); nc++) {
            for (int y = 0; y < cfg.h(); y++) {
                for (int x = 0; x < cfg.w(); x++) {
                    padded[(nc * hp + y + top) * wp + x + left] = a.input()[(nc * cfg.h() + y) * cfg.w() + x];
                }
            }
        }
        Config explicit = new Config("explicit", cfg.n(), cfg.c(), hp, wp, cfg.o(), cfg.kh(), cfg.kw(),
                DeformConv2dSpec.defaults().withStride(1, 2), true, true);
        assertArrayEquals(shapes(cfg)[1], shapes(explicit)[1]);
        Args e = new Args(padded, a.offset(), a.mask(), a.weight(), a.bias(), a.gradOut());
        assertArrayEquals(forward(explicit, e), forward(cfg, a), 1e-12);
    }

    @Test
    void columnMatrixLargerThanAnArrayIsRejectedNotOverflowed() {
        // 10 channels, a 10x10 kernel and a 4792x4792 output from a 1x1 input padded by 2400: the columns
        // of one group hold 2.3e10 elements, more than an int indexes (the output itself is small enough).
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(2400, 2400);
        Tensor input = ref.tensor(DType.F64, new int[] {1, 10, 1, 1}, new double[10]);
        Tensor weight = ref.tensor(DType.F64, new int[] {1, 10, 10, 10}, new double[1000]);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ref.deformConv2d(spec, input, null, null, weight, null));
        assertTrue(e.getMessage().startsWith("input: expected at most 2147483639 column elements"), e.getMessage());
        assertTrue(e.getMessage().contains("got 22963264000"), e.getMessage());
    }

    @Test
    void backwardComputesOnlyTheGradientsAsked() {
        Config cfg = configs().get(1);
        Args a = randomArgs(cfg, 5);
        int[][] sh = shapes(cfg);
        DeformConv2dGradients g = ref.deformConv2dBackward(cfg.spec(), t(new int[] {2, 2, 3, 3}, a.gradOut()),
                t(sh[0], a.input()), t(sh[1], a.offset()), t(sh[2], a.mask()), t(sh[3], a.weight()),
                t(sh[4], a.bias()), EnumSet.of(Gradient.WEIGHT));
        assertNull(g.input());
        assertNull(g.offset());
        assertNull(g.mask());
        assertNull(g.bias());
        assertArrayEquals(sh[3], g.weight().shape());
    }

    @Test
    void float32TensorsAreComputedInFloat64AndRoundedOnce() {
        Config cfg = configs().get(0);
        Args a = randomArgs(cfg, 9);
        int[][] sh = shapes(cfg);
        double[] in32 = new double[a.input().length];
        for (int i = 0; i < in32.length; i++) in32[i] = (float) a.input()[i];
        double[] w32 = new double[a.weight().length];
        for (int i = 0; i < w32.length; i++) w32[i] = (float) a.weight()[i];
        double[] expected = ref.deformConv2d(cfg.spec(), t(sh[0], in32), null, null, t(sh[3], w32), null)
                .toDoubleArray();
        Tensor out = ref.deformConv2d(cfg.spec(), ref.tensor(DType.F32, sh[0], a.input()), null, null,
                ref.tensor(DType.F32, sh[3], a.weight()), null);
        assertEquals(DType.F32, out.dtype());
        double[] got = out.toDoubleArray();
        for (int i = 0; i < got.length; i++) assertEquals((float) expected[i], got[i], 0.0);
    }

    @Test
    void emptyBatchGivesEmptyOutputAndGradientsAndZeroWeightGradient() {
        // As torchvision and ONNX Runtime: N = 0 is a valid call (DESIGN.md "Deformable convolution").
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        Tensor in = ref.tensor(DType.F64, new int[] {0, 2, 5, 6}, new double[0]);
        Tensor off = ref.tensor(DType.F64, new int[] {0, 18, 5, 6}, new double[0]);
        Tensor mask = ref.tensor(DType.F64, new int[] {0, 9, 5, 6}, new double[0]);
        Tensor w = ref.tensor(DType.F64, new int[] {3, 2, 3, 3}, new double[54]);
        Tensor b = ref.tensor(DType.F64, new int[] {3}, new double[] {1, 2, 3});
        Tensor out = ref.deformConv2d(spec, in, off, mask, w, b);
        assertArrayEquals(new int[] {0, 3, 5, 6}, out.shape());
        assertEquals(0, out.toDoubleArray().length);
        try (DeformConv2dGradients g = ref.deformConv2dBackward(spec, out, in, off, mask, w, b, Gradient.all())) {
            assertArrayEquals(new int[] {0, 2, 5, 6}, g.input().shape());
            assertArrayEquals(new int[] {0, 18, 5, 6}, g.offset().shape());
            assertArrayEquals(new int[] {0, 9, 5, 6}, g.mask().shape());
            assertArrayEquals(new double[54], g.weight().toDoubleArray());
            assertArrayEquals(new double[3], g.bias().toDoubleArray());
        }
    }
}
