package dcn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The deformable convolution layer on the reference backend (float64). */
class DeformableConv2dTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.open("reference");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static final int N = 2, C = 4, H = 7, W = 6, O = 3;

    /** Loss = <layer(x), r>: its gradient with respect to the output is r. */
    private static double loss(DeformableConv2d layer, double[] x, double[] r) {
        try (Tensor in = backend.tensor(new int[] {N, C, H, W}, x); Tensor out = layer.forward(in)) {
            return GradCheck.dot(out.toDoubleArray(), r);
        }
    }

    /**
     * Every gradient of the layer, the offset branch's and the mask branch's included, matches central
     * finite differences of the loss; the offset branch's weights are set non-zero so that the offsets
     * are fractional and the derivative runs through the bilinear sampling.
     */
    @ParameterizedTest(name = "modulated={0}")
    @ValueSource(booleans = {false, true})
    void gradientsThroughTheOffsetBranchMatchFiniteDifferences(boolean modulated) {
        Random rng = new Random(modulated ? 11 : 10);
        var spec = DeformConv2dSpec.defaults().withPadding(1, 1).withStride(1, 2).withOffsetGroups(2);
        var layer = new DeformableConv2d(backend, "d", C, O, 3, spec, modulated, 1.0, rng);
        for (Parameter p : layer.parameters()) {
            if (p.name().startsWith("d.offset") || p.name().startsWith("d.mask")) {
                System.arraycopy(GradCheck.gaussian(rng, p.size(), 0.4), 0, p.value(), 0, p.size());
            } else if (p.name().equals("d.bias")) {
                System.arraycopy(GradCheck.gaussian(rng, p.size(), 0.5), 0, p.value(), 0, p.size());
            }
        }
        double[] x = GradCheck.gaussian(rng, N * C * H * W, 1);
        int[] outShape;
        try (Tensor in = backend.tensor(new int[] {N, C, H, W}, x); Tensor out = layer.forward(in)) {
            outShape = out.shape();
        }
        double[] r = GradCheck.gaussian(rng, N * O * outShape[2] * outShape[3], 1);
        double[] gx;
        try (Tensor in = backend.tensor(new int[] {N, C, H, W}, x); Tensor out = layer.forward(in);
             Tensor gOut = backend.tensor(out.shape(), r); Tensor gIn = layer.backward(gOut)) {
            gx = gIn.toDoubleArray();
        }
        double[] offsets = layer.lastOffsets();
        double maxAbs = 0;
        for (double v : offsets) maxAbs = Math.max(maxAbs, Math.abs(v));
        assertTrue(maxAbs > 0.5, "offsets should be well away from zero, max |offset| = " + maxAbs);

        GradCheck.check("input", x, gx, () -> loss(layer, x, r), x.length, 1e-6, rng);
        for (Parameter p : layer.parameters()) {
            double[] analytic = p.grad().clone();
            GradCheck.check(p.name(), p.value(), analytic, () -> loss(layer, x, r), 120, 1e-6, rng);
        }
    }

    /** Zero-initialised offsets: the layer computes exactly what the plain convolution with the same weights does. */
    @ParameterizedTest(name = "modulated={0}")
    @ValueSource(booleans = {false, true})
    void zeroInitialisedBranchesGiveThePlainConvolution(boolean modulated) {
        var spec = DeformConv2dSpec.defaults().withPadding(1, 1).withDilation(2, 1);
        var layer = new DeformableConv2d(backend, "d", C, O, 3, spec, modulated, 1.0, new Random(3));
        var plain = new Conv2d(backend, "p", C, O, 3, spec, new Random(3));
        for (Parameter p : layer.parameters()) {
            if (p.name().startsWith("d.offset") || p.name().startsWith("d.mask")) {
                for (double v : p.value()) assertEquals(0.0, v, p.name() + " starts at zero");
            }
        }
        double[] x = GradCheck.gaussian(new Random(4), N * C * H * W, 1);
        try (Tensor in = backend.tensor(new int[] {N, C, H, W}, x); Tensor a = layer.forward(in);
             Tensor b = plain.forward(in)) {
            double[] got = a.toDoubleArray(), want = b.toDoubleArray();
            if (modulated) {
                // DCNv2: sigmoid(0) = 0.5 scales every sample; the bias (zero at init) is not scaled.
                for (int i = 0; i < want.length; i++) want[i] *= 0.5;
            }
            assertArrayEquals(want, got, 0.0);
        }
    }

    /** The offset branch gets a non-zero gradient at step 0 and one SGD step moves it off zero. */
    @Test
    void offsetBranchLearnsFromZero() {
        var spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        var layer = new DeformableConv2d(backend, "d", C, O, 3, spec, false, 1.0, new Random(5));
        double[] x = GradCheck.gaussian(new Random(6), N * C * H * W, 1);
        try (Tensor in = backend.tensor(new int[] {N, C, H, W}, x); Tensor out = layer.forward(in);
             Tensor g = backend.tensor(out.shape(), GradCheck.gaussian(new Random(7), (int) out.elementCount(), 1))) {
            layer.backward(g).close();
        }
        Parameter offsetWeight = layer.parameters().get(2);
        assertEquals("d.offset.weight", offsetWeight.name());
        double norm = 0;
        for (double v : offsetWeight.grad()) norm += v * v;
        assertTrue(norm > 0, "offset branch gradient at step 0 is zero");
        new Sgd(layer.parameters(), 0.1, 0.9, 0).step();
        assertNotEquals(0.0, java.util.Arrays.stream(offsetWeight.value()).map(Math::abs).sum());
    }

    @Test
    void rejectsChannelsNotDivisibleByTheOffsetGroups() {
        var spec = DeformConv2dSpec.defaults().withOffsetGroups(3);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DeformableConv2d(backend, "d", 4, 2, 3, spec, false, 1.0, new Random(1)));
        assertTrue(e.getMessage().startsWith("spec.offsetGroups:"), e.getMessage());
    }

    @Test
    void backwardBeforeForwardIsRejected() {
        var layer = new DeformableConv2d(backend, "d", 2, 2, 3, DeformConv2dSpec.defaults(), false, 1.0,
                new Random(1));
        try (Tensor g = backend.tensor(new int[] {1, 2, 1, 1}, new double[2])) {
            assertThrows(IllegalStateException.class, () -> layer.backward(g));
        }
    }
}
