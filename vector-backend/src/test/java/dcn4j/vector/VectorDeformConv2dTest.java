package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend's deformable convolution against the float64 reference on the same (float32)
 * values: forward within 1e-5 and every gradient within 1e-4, norm-relative (DESIGN.md conformance
 * properties 1 and 2), over hand-picked edge cases and seeded random shapes.
 */
class VectorDeformConv2dTest {

    static final double FORWARD_TOLERANCE = 1e-5;
    static final double BACKWARD_TOLERANCE = 1e-4;

    static Backend reference;
    static Backend vector;
    /** Same backend with tiny chunk budgets: every call runs through many column chunks. */
    static Backend chunked;
    static double worstForward, worstBackward;

    @BeforeAll
    static void open() {
        reference = Backends.open("reference");
        vector = new VectorBackend(2);
        chunked = new VectorBackend(3, 1, 1);
    }

    @AfterAll
    static void close() {
        reference.close();
        vector.close();
        chunked.close();
        System.out.printf("vector deform_conv2d vs reference: worst forward %.3g, worst backward %.3g%n",
                worstForward, worstBackward);
    }

    static DeformConv2dSpec spec(int sh, int sw, int ph, int pw, int dh, int dw, int groups, int offsetGroups) {
        return new DeformConv2dSpec(sh, sw, ph, pw, dh, dw, groups, offsetGroups);
    }

    static Stream<ConvCase> edgeCases() {
        List<ConvCase> c = new ArrayList<>();
        DeformConv2dSpec pad1 = DeformConv2dSpec.defaults().withPadding(1, 1);
        c.add(ConvCase.of("3x3-pad1-bias", 2, 5, 7, 6, 7, 3, 3, pad1, true, false, true, 2, 1));
        c.add(ConvCase.of("modulated", 2, 5, 7, 6, 7, 3, 3, pad1, true, true, true, 2, 2));
        c.add(ConvCase.of("groups2-offsetGroups4", 1, 8, 6, 6, 6, 3, 3, spec(1, 1, 1, 1, 1, 1, 2, 4), true, true,
                true, 2, 3));
        c.add(ConvCase.of("groups3-offsetGroups1", 2, 6, 5, 5, 9, 3, 3, spec(1, 1, 1, 1, 1, 1, 3, 1), true, true,
                false, 2, 4));
        c.add(ConvCase.of("offsetGroup-spans-groups", 1, 6, 6, 5, 4, 3, 3, spec(1, 1, 1, 1, 1, 1, 2, 3), true,
                true, true, 2, 5));
        c.add(ConvCase.of("stride3-gt-kernel2", 2, 3, 9, 8, 4, 2, 2, spec(3, 3, 0, 0, 1, 1, 1, 1), true, false, true,
                1.5, 6));
        c.add(ConvCase.of("dilation2-pad2", 1, 4, 9, 9, 5, 3, 3, spec(1, 1, 2, 2, 2, 2, 1, 1), true, true, true, 2, 7));
        c.add(ConvCase.of("image-1x1-kernel-1x1", 2, 3, 1, 1, 2, 1, 1, DeformConv2dSpec.defaults(), true, true, true,
                1, 8));
        c.add(ConvCase.of("image-1x1-kernel-3x3-pad1", 1, 4, 1, 1, 3, 3, 3, pad1, true, true, true, 1, 9));
        c.add(ConvCase.of("nonsquare-k2x3-img5x7", 2, 3, 5, 7, 4, 2, 3, spec(2, 1, 1, 0, 1, 2, 1, 1), true, true,
                true, 2, 10));
        c.add(ConvCase.of("offsets-far-outside", 1, 4, 6, 6, 3, 3, 3, pad1, true, true, true, 40, 11));
        c.add(ConvCase.of("integer-offsets", 2, 5, 6, 7, 4, 3, 3, pad1, true, true, true, 3, 12).withIntegerOffsets());
        c.add(ConvCase.of("integer-offsets-unmasked", 1, 17, 5, 5, 3, 3, 3, pad1, true, false, false, 2, 13)
                .withIntegerOffsets());
        c.add(ConvCase.of("plain-no-offset", 2, 5, 7, 6, 7, 3, 3, pad1, false, false, true, 0, 14));
        c.add(ConvCase.of("plain-with-mask", 1, 5, 7, 6, 7, 3, 3, pad1, false, true, true, 0, 15));
        c.add(ConvCase.of("wide-channels", 1, 40, 9, 8, 70, 3, 3, pad1, true, true, true, 2, 16));
        c.add(ConvCase.of("many-pixels", 1, 16, 17, 19, 33, 3, 3, pad1, true, false, true, 2, 17));
        c.add(ConvCase.of("offsetGroups-equal-channels", 1, 4, 6, 6, 8, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 4), true,
                true, true, 2, 18));
        c.add(ConvCase.of("groups-equal-channels-depthwise", 2, 6, 6, 6, 6, 3, 3, spec(1, 1, 1, 1, 1, 1, 6, 2), true,
                true, true, 2, 19));
        c.add(ConvCase.of("batch-3-stride2", 3, 7, 8, 9, 5, 3, 3, spec(2, 2, 1, 1, 1, 1, 1, 1), true, true, true, 2,
                20));
        // 784 pixels: the forward groups two images per phase, so five images take three phases.
        c.add(ConvCase.of("batch-5-two-images-per-phase", 5, 3, 28, 28, 4, 3, 3, pad1, true, true, true, 2, 21));
        // The official DCNv1 border rule and ONNX's per-side padding (issue 13 items 1-2).
        DeformConv2dSpec.Border dcnv1 = DeformConv2dSpec.Border.DCNV1;
        c.add(ConvCase.of("dcnv1-3x3-pad1-bias", 2, 5, 7, 6, 7, 3, 3, pad1.withBorder(dcnv1), true, false, true, 2.5,
                22));
        c.add(ConvCase.of("dcnv1-modulated-groups2-offsetGroups3", 1, 6, 6, 5, 4, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 2, 3).withBorder(dcnv1), true, true, true, 3, 23));
        c.add(ConvCase.of("dcnv1-integer-offsets", 2, 5, 6, 7, 4, 3, 3, pad1.withBorder(dcnv1), true, true, true, 3,
                24).withIntegerOffsets());
        c.add(ConvCase.of("dcnv1-plain-no-offset", 1, 5, 7, 6, 7, 3, 3, pad1.withBorder(dcnv1), false, false, true,
                0, 25));
        c.add(ConvCase.of("dcnv1-wide-channels-far", 1, 40, 9, 8, 20, 3, 3, pad1.withBorder(dcnv1), true, true, true,
                12, 26));
        c.add(ConvCase.of("onnx-pads-1-0-0-1", 2, 3, 5, 6, 4, 2, 2, DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1),
                true, true, true, 2, 27));
        c.add(ConvCase.of("pads-2-0-1-3-stride2-dilation", 1, 4, 7, 6, 5, 3, 2,
                spec(2, 1, 0, 0, 1, 2, 1, 1).withPadding(2, 0, 1, 3), true, false, true, 2, 28));
        c.add(ConvCase.of("dcnv1-pads-0-2-2-1", 1, 4, 6, 5, 3, 3, 3,
                DeformConv2dSpec.defaults().withPadding(0, 2, 2, 1).withBorder(dcnv1), true, true, false, 2.5, 29));
        return c.stream();
    }

    /** Seeded random shapes: every parameter drawn, kept small enough for the reference. */
    static Stream<ConvCase> randomCases() {
        Random r = new Random(20240601);
        List<ConvCase> c = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            int groups = 1 + r.nextInt(3), offsetGroups = 1 + r.nextInt(3);
            int cg = 1 + r.nextInt(6);
            int channels = lcm(groups, offsetGroups) * cg;
            int o = groups * (1 + r.nextInt(8));
            int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
            int sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            int ph = r.nextInt(3), pw = r.nextInt(3);
            int h = Math.max(1, dh * (kh - 1) + 1 - 2 * ph) + r.nextInt(8);
            int w = Math.max(1, dw * (kw - 1) + 1 - 2 * pw) + r.nextInt(8);
            DeformConv2dSpec s = spec(sh, sw, ph, pw, dh, dw, groups, offsetGroups);
            boolean offset = r.nextInt(6) != 0;
            ConvCase cc = ConvCase.of("random-" + i, 1 + r.nextInt(3), channels, h, w, o, kh, kw, s, offset,
                    r.nextBoolean(), r.nextBoolean(), 0.5 + 4 * r.nextDouble(), 1000 + i);
            if (offset && r.nextInt(5) == 0) cc = cc.withIntegerOffsets();
            c.add(cc);
        }
        return c.stream();
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    static Stream<ConvCase> allCases() {
        return Stream.concat(edgeCases(), randomCases());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void forwardMatchesReference(ConvCase c) {
        double[] ref = c.forward(reference);
        double err = ConvCase.relativeError(c.forward(vector), ref);
        worstForward = Math.max(worstForward, err);
        assertTrue(err <= FORWARD_TOLERANCE, c + ": forward relative error " + err);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void everyGradientMatchesReference(ConvCase c) {
        double[][] ref = c.backward(reference);
        double[][] got = c.backward(vector);
        for (int i = 0; i < ref.length; i++) {
            if (ref[i] == null) {
                assertNull(got[i], c + ": grad_" + ConvCase.GRAD_NAMES[i] + " should be absent");
                continue;
            }
            double err = ConvCase.relativeError(got[i], ref[i]);
            worstBackward = Math.max(worstBackward, err);
            assertTrue(err <= BACKWARD_TOLERANCE, c + ": grad_" + ConvCase.GRAD_NAMES[i] + " relative error " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edgeCases")
    void chunkingDoesNotChangeAnyBit(ConvCase c) {
        // Forward chunks may differ (their outputs are independent); the backward chunk size is part of the
        // reduction order of grad_weight, so only the forward and the non-weight gradients must be identical.
        assertArrayEquals(c.forward(vector), c.forward(chunked), c.toString());
        double[][] a = c.backward(vector), b = c.backward(chunked);
        for (int i = 0; i < 3; i++) assertArrayEquals(a[i], b[i], c + ": grad_" + ConvCase.GRAD_NAMES[i]);
        for (int i = 3; i < 5; i++) {
            if (a[i] == null) continue;
            double err = ConvCase.relativeError(b[i], c.backward(reference)[i]);
            assertTrue(err <= BACKWARD_TOLERANCE, c + ": chunked grad_" + ConvCase.GRAD_NAMES[i] + " error " + err);
        }
    }

    @Test
    void zeroOffsetsEqualPlainConvolutionBitForBit() {
        // Zero offsets sample at integer positions with weights (1, 0, 0, 0): exactly the plain path.
        DeformConv2dSpec s = spec(1, 2, 1, 1, 2, 1, 2, 3);
        ConvCase plain = ConvCase.of("plain", 2, 6, 8, 7, 4, 3, 3, s, false, false, true, 0, 30);
        float[][] v = plain.operands();
        try (Tensor in = vector.tensor(plain.inputShape(), v[0]);
             Tensor w = vector.tensor(plain.weightShape(), v[3]);
             Tensor b = vector.tensor(new int[] {plain.o()}, v[4]);
             Tensor zeros = vector.tensor(plain.offsetShape(), new float[ConvCase.count(plain.offsetShape())]);
             Tensor withZeros = vector.deformConv2d(s, in, zeros, null, w, b);
             Tensor without = vector.deformConv2d(s, in, null, null, w, b)) {
            assertArrayEquals(without.toFloatArray(), withZeros.toFloatArray());
            assertTrue(ConvCase.relativeError(without.toDoubleArray(), plain.forward(reference)) <= FORWARD_TOLERANCE);
        }
    }
}
