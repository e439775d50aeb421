package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dcn4j.Backend;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.ConvCase.OffsetStyle;
import dcn4j.conformance.ReferenceErrors;
import dcn4j.conformance.Tolerances;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code opencl} deformable convolution against the float64 reference (F32 inputs upcast),
 * judged by the suite's own measure ({@link ReferenceErrors}, as {@code conv01}/{@code conv02}):
 * forward within 1e-5 and every gradient within 1e-4, on the suite's {@link ConvCase}s (hand-picked
 * edges and seeded random shapes), with both GEMM kernels.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClDeformConv2dTest {

    private OpenClBackend cl;

    @BeforeAll
    void open() {
        cl = OpenClTestSupport.open();
    }

    @AfterAll
    void close() {
        if (cl != null) {
            cl.useGpuStyle(cl.device().hasDedicatedLocalMemory());
            System.out.println("[opencl conv] " + Compare.report());
            cl.close();
        }
    }

    /** A suite case with a display name; {@code style} {@code null} means no offset. */
    static Named<ConvCase> named(String name, int n, int c, int h, int w, int o, int kh, int kw, DeformConv2dSpec spec,
                                 OffsetStyle style, boolean mask, boolean bias, long seed) {
        return Named.of(name, new ConvCase(n, c, h, w, o, kh, kw, spec, style != null, mask, bias,
                style == null ? OffsetStyle.ZERO : style, seed));
    }

    private static DeformConv2dSpec spec(int sh, int sw, int ph, int pw, int dh, int dw, int g, int og) {
        return new DeformConv2dSpec(sh, sw, ph, pw, dh, dw, g, og);
    }

    static List<Named<ConvCase>> edgeCases() {
        List<Named<ConvCase>> l = new ArrayList<>();
        l.add(named("v1 3x3 pad 1 bias", 2, 4, 7, 6, 5, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1), OffsetStyle.SMALL,
                false, true, 1));
        l.add(named("v2 mask 3x3 pad 1", 2, 6, 5, 5, 4, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1), OffsetStyle.SMALL,
                true, true, 2));
        l.add(named("groups 2 offset groups 2", 2, 8, 6, 5, 6, 3, 3, spec(1, 1, 1, 1, 1, 1, 2, 2),
                OffsetStyle.SMALL, true, true, 3));
        l.add(named("groups 3 offset groups 1 no bias", 1, 6, 6, 6, 6, 3, 3, spec(1, 1, 1, 1, 1, 1, 3, 1),
                OffsetStyle.SMALL, true, false, 4));
        l.add(named("offset group per channel", 2, 4, 5, 6, 3, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 4),
                OffsetStyle.SMALL, true, true, 5));
        l.add(named("offset groups spanning conv groups", 1, 8, 5, 5, 4, 3, 3, spec(1, 1, 1, 1, 1, 1, 4, 2),
                OffsetStyle.SMALL, false, true, 6));
        l.add(named("stride 3 > kernel 2", 2, 3, 8, 9, 4, 2, 2, spec(3, 3, 0, 0, 1, 1, 1, 1), OffsetStyle.SMALL,
                false, true, 7));
        l.add(named("dilation 2 pad 2", 1, 4, 9, 8, 3, 3, 3, spec(1, 1, 2, 2, 2, 2, 1, 1), OffsetStyle.SMALL,
                true, true, 8));
        l.add(named("1x1 image", 2, 3, 1, 1, 4, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1), OffsetStyle.SMALL, true,
                true, 9));
        l.add(named("1x1 kernel stride 2x1 pad 1x0", 2, 5, 6, 4, 3, 1, 1, spec(2, 1, 1, 0, 1, 1, 1, 1),
                OffsetStyle.SMALL, true, true, 10));
        l.add(named("non-square kernel 2x3 image 5x7", 2, 4, 5, 7, 6, 2, 3, spec(1, 2, 0, 1, 2, 1, 2, 2),
                OffsetStyle.SMALL, true, true, 11));
        l.add(named("samples far outside", 2, 4, 6, 6, 3, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1), OffsetStyle.FAR_OUTSIDE,
                true, true, 12));
        l.add(named("integer offsets", 2, 4, 6, 5, 3, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 2), OffsetStyle.INTEGER,
                true, true, 13));
        l.add(named("samples on -1 and H, W", 2, 4, 5, 6, 3, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1),
                OffsetStyle.BORDER, true, true, 14));
        l.add(named("no offset: plain convolution", 2, 6, 7, 7, 5, 3, 3, spec(2, 1, 1, 1, 1, 2, 1, 1),
                null, false, true, 15));
        l.add(named("no offset, mask", 1, 4, 5, 5, 3, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 2), null, true,
                false, 16));
        l.add(named("channel blocks with a partial last block", 1, 90, 5, 4, 3, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 1, 1), OffsetStyle.SMALL, true, true, 18));
        l.add(named("several GEMM tiles", 2, 32, 20, 21, 70, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1),
                OffsetStyle.SMALL, true, true, 17));
        // The official DCNv1 border rule and ONNX's per-side padding (issue 13 items 1-2).
        DeformConv2dSpec.Border dcnv1 = DeformConv2dSpec.Border.DCNV1;
        l.add(named("dcnv1 3x3 pad 1 bias", 2, 4, 7, 6, 5, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 1).withBorder(dcnv1),
                OffsetStyle.MIXED, false, true, 19));
        l.add(named("dcnv1 modulated groups 2 offset groups 2", 2, 8, 6, 5, 6, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 2, 2).withBorder(dcnv1), OffsetStyle.MIXED, true, true, 20));
        l.add(named("dcnv1 samples on the border lines", 2, 4, 5, 6, 3, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 1, 1).withBorder(dcnv1), OffsetStyle.BORDER, true, true, 21));
        l.add(named("dcnv1 integer offsets", 2, 4, 6, 5, 3, 3, 3, spec(1, 1, 1, 1, 1, 1, 1, 2).withBorder(dcnv1),
                OffsetStyle.INTEGER, true, true, 22));
        l.add(named("dcnv1 samples far outside", 1, 4, 6, 6, 3, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 1, 1).withBorder(dcnv1), OffsetStyle.FAR_OUTSIDE, false, true, 23));
        l.add(named("onnx pads [1, 0, 0, 1]", 2, 3, 5, 6, 4, 2, 2, spec(1, 1, 0, 0, 1, 1, 1, 1)
                .withPadding(1, 0, 0, 1), OffsetStyle.SMALL, true, true, 24));
        l.add(named("pads [2, 0, 1, 3] stride 2x1 dilation 1x2", 1, 4, 7, 6, 5, 3, 2,
                spec(2, 1, 0, 0, 1, 2, 1, 1).withPadding(2, 0, 1, 3), OffsetStyle.SMALL, false, true, 25));
        l.add(named("dcnv1 pads [0, 2, 2, 1]", 1, 4, 6, 5, 3, 3, 3,
                spec(1, 1, 0, 0, 1, 1, 1, 1).withPadding(0, 2, 2, 1).withBorder(dcnv1), OffsetStyle.BORDER, true,
                false, 26));
        l.add(named("samples within 1e-6 of cell edges and the border, image 12x13", 2, 3, 12, 13, 3, 3, 3,
                spec(1, 1, 1, 1, 1, 1, 1, 1), OffsetStyle.NEAR_INTEGER, true, true, 27));
        return l;
    }

    static Stream<Named<ConvCase>> randomCases() {
        Random r = new Random(20240611);
        List<Named<ConvCase>> l = new ArrayList<>();
        OffsetStyle[] styles = OffsetStyle.values();
        for (int i = 0; i < 24; i++) {
            int g = 1 + r.nextInt(3), og = 1 + r.nextInt(3);
            int c = g * og * (1 + r.nextInt(2));
            int o = g * (1 + r.nextInt(3));
            int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(3);
            int sh = 1 + r.nextInt(3), sw = 1 + r.nextInt(3), dh = 1 + r.nextInt(2), dw = 1 + r.nextInt(2);
            int ph = r.nextInt(3), pw = r.nextInt(3);
            int h = Math.max(1, dh * (kh - 1) + 1 - 2 * ph) + r.nextInt(7);
            int w = Math.max(1, dw * (kw - 1) + 1 - 2 * pw) + r.nextInt(7);
            OffsetStyle off = r.nextInt(6) == 0 ? null : styles[r.nextInt(styles.length)];
            l.add(named("random " + i, 1 + r.nextInt(3), c, h, w, o, kh, kw, spec(sh, sw, ph, pw, dh, dw, g, og),
                    off, r.nextBoolean(), r.nextBoolean(), 1000 + i));
        }
        return l.stream();
    }

    static Stream<Named<ConvCase>> allCases() {
        return Stream.concat(edgeCases().stream(), randomCases());
    }

    /** Runs {@code cc} on {@code opencl} and compares every output and gradient with the reference's (suite measure). */
    private void checkAgainstReference(ConvCase cc) {
        Tensor[] a = cc.tensors(cl);
        try {
            try (Tensor out = cc.forward(cl, a)) {
                Compare.check(cc.toString(), "forward", ReferenceErrors.forward(cc, out.toDoubleArray()),
                        Tolerances.FORWARD);
            }
            try (DeformConv2dGradients got = cc.backward(cl, a, Gradient.all())) {
                Map<Gradient, double[]> grads = new java.util.EnumMap<>(Gradient.class);
                for (Gradient g : Gradient.values()) {
                    if (!cc.has(g)) assertNull(got.get(g), cc + ": " + g.fileStem() + " should be absent");
                    else grads.put(g, got.get(g) == null ? null : got.get(g).toDoubleArray());
                }
                for (Map.Entry<Gradient, Double> e : ReferenceErrors.backward(cc, grads).entrySet()) {
                    Compare.check(cc.toString(), "grad_" + e.getKey().name().toLowerCase(java.util.Locale.ROOT),
                            e.getValue(), Tolerances.BACKWARD);
                }
            }
        } finally {
            for (Tensor t : a) if (t != null) t.close();
        }
    }

    /** CPU-style launches: wide work-groups, whole offset groups per work-item, register-blocked GEMM. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void matchesReferenceWithCpuStyleLaunches(ConvCase cc) {
        cl.useGpuStyle(false);
        checkAgainstReference(cc);
    }

    /** GPU-style launches: narrow work-groups, channel blocks of 4, local-memory tiled GEMM. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void matchesReferenceWithGpuStyleLaunches(ConvCase cc) {
        cl.useGpuStyle(true);
        checkAgainstReference(cc);
    }

    @Test
    void onlyRequestedGradientsAreComputed() {
        ConvCase cc = edgeCases().get(1).getPayload();
        Tensor[] a = cc.tensors(cl);
        try (DeformConv2dGradients g = cc.backward(cl, a, EnumSet.of(Gradient.OFFSET, Gradient.BIAS))) {
            assertNull(g.input());
            assertNotNull(g.offset());
            assertNull(g.mask());
            assertNull(g.weight());
            assertNotNull(g.bias());
        }
        // Gradients of absent arguments are absent even when asked for.
        ConvCase plain = edgeCases().get(14).getPayload();
        Tensor[] p = plain.tensors(cl);
        try (DeformConv2dGradients g = plain.backward(cl, p, Gradient.all())) {
            assertNull(g.offset());
            assertNull(g.mask());
            assertNotNull(g.input());
        }
    }

    @Test
    void chunkedBatchMatchesWholeBatch() {
        // One image per chunk (a 1-byte budget) against the whole batch at once: the forward is
        // bit-identical (each output sums the same products in the same order), the weight
        // gradient sums over chunks, so it is compared within the backward tolerance.
        ConvCase cc = new ConvCase(5, 6, 6, 7, 4, 3, 3, spec(1, 1, 1, 1, 1, 1, 2, 3), true, true, true,
                OffsetStyle.SMALL, 77);
        Tensor[] a = cc.tensors(cl);
        float[] whole, chunked;
        DeformConv2dGradients gWhole, gChunked;
        try {
            whole = cc.forward(cl, a).toFloatArray();
            gWhole = cc.backward(cl, a, Gradient.all());
            cl.conv().workspaceBudget(1);
            chunked = cc.forward(cl, a).toFloatArray();
            gChunked = cc.backward(cl, a, Gradient.all());
        } finally {
            cl.conv().workspaceBudget(OpenClDeformConv2d.WORKSPACE_BUDGET);
        }
        Compare.assertBitIdentical("forward", whole, chunked);
        for (Gradient g : Gradient.values()) {
            double e = Tolerances.relativeError(gChunked.get(g).toDoubleArray(), gWhole.get(g).toDoubleArray());
            assertEquals(0, e, 1e-6, g + " chunked vs whole");
        }
        // Input, offset and mask gradients are per image: chunking does not change them at all.
        Compare.assertBitIdentical("grad input", gWhole.input().toFloatArray(), gChunked.input().toFloatArray());
        Compare.assertBitIdentical("grad offset", gWhole.offset().toFloatArray(), gChunked.offset().toFloatArray());
        gWhole.close();
        gChunked.close();
    }

    @Test
    void emptyBatchGivesEmptyResultsWithoutZeroByteBuffers() {
        // N = 0: no chunk runs and no 0-byte device buffer is made; the weight gradient is zero-filled.
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        try (Tensor in = cl.tensor(new int[] {0, 2, 5, 6}, new float[0]);
             Tensor off = cl.tensor(new int[] {0, 18, 5, 6}, new float[0]);
             Tensor mask = cl.tensor(new int[] {0, 9, 5, 6}, new float[0]);
             Tensor w = cl.tensor(new int[] {3, 2, 3, 3}, new float[54]);
             Tensor b = cl.tensor(new int[] {3}, new float[] {1, 2, 3});
             Tensor out = cl.deformConv2d(spec, in, off, mask, w, b);
             DeformConv2dGradients g = cl.deformConv2dBackward(spec, out, in, off, mask, w, b, Gradient.all())) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 3, 5, 6}, out.shape());
            assertEquals(0, out.toFloatArray().length);
            assertEquals(0, g.input().toFloatArray().length);
            assertEquals(0, g.offset().toFloatArray().length);
            assertEquals(0, g.mask().toFloatArray().length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[54], g.weight().toFloatArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[3], g.bias().toFloatArray());
        }
    }
}
