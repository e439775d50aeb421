package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ReferenceErrors;
import dcn4j.conformance.RoiPoolCase;
import dcn4j.conformance.RoiPoolCase.OffsetStyle;
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
 * The {@code opencl} deformable PS RoI pooling against the float64 reference (the official MXNet
 * kernel's arithmetic), judged by the suite's own measure ({@link ReferenceErrors}, as
 * {@code pool01}/{@code pool02}): forward within 1e-5, input and offset gradients within 1e-4, on
 * the suite's {@link RoiPoolCase}s: hand-picked RoIs and the suite's random draws.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClDeformPsRoiPoolTest {

    private OpenClBackend cl;
    private Backend ref;

    @BeforeAll
    void open() {
        cl = OpenClTestSupport.open();
        ref = OpenClTestSupport.reference();
    }

    @AfterAll
    void close() {
        if (cl != null) {
            cl.useGpuStyle(cl.device().hasDedicatedLocalMemory());
            System.out.println("[opencl psroi] " + Compare.report());
            cl.close();
        }
        if (ref != null) ref.close();
    }

    private static DeformPsRoiPoolSpec spec(double scale, int od, int g, int p, int part, int spp, double std) {
        return new DeformPsRoiPoolSpec(scale, od, g, p, part, spp, std);
    }

    /** A suite case with given RoIs; {@code offsetScale} 0 means {@code no_trans}, 3 and above large offsets. */
    static Named<RoiPoolCase> named(String name, int n, int h, int w, DeformPsRoiPoolSpec spec, float[] rois,
                                    int numClasses, boolean offset, double offsetScale, long seed) {
        OffsetStyle style = !offset ? OffsetStyle.NONE : offsetScale >= 3 ? OffsetStyle.LARGE : OffsetStyle.SMALL;
        return Named.of(name, new RoiPoolCase(n, h, w, rois, numClasses, spec, style, seed));
    }

    static List<Named<RoiPoolCase>> edgeCases() {
        List<Named<RoiPoolCase>> l = new ArrayList<>();
        float[] inside = {0, 8, 8, 40, 36, 1, 0, 0, 63, 63, 0, 20.5f, 4.5f, 50.5f, 30.5f};
        l.add(named("no_trans", 2, 8, 8, spec(0.125, 2, 3, 3, 3, 2, 0.1), inside, 1, false, 0, 1));
        l.add(named("offset, one class", 2, 8, 8, spec(0.125, 2, 3, 3, 3, 2, 0.1), inside, 1, true, 1, 2));
        l.add(named("offset, two classes", 2, 8, 8, spec(0.125, 4, 3, 3, 3, 2, 0.1), inside, 2, true, 1, 3));
        l.add(named("group size 1: deformable RoI pooling", 2, 8, 8, spec(0.125, 5, 1, 3, 3, 2, 0.1), inside, 1,
                true, 1, 4));
        l.add(named("pooled 4, group 2, part 2, 4 samples", 1, 10, 9, spec(0.25, 3, 2, 4, 2, 4, 0.2),
                new float[] {0, 2, 3, 30, 33, 0, -6, -4, 12, 9}, 1, true, 0.5, 5));
        // Half-way corners (C round: half away from zero), negative, inverted and tiny RoIs,
        // RoIs past every border, batch indices truncated toward zero (1.9 -> 1, 0.999 -> 0).
        l.add(named("rounding, inverted, tiny, outside, truncated batch", 2, 7, 9,
                spec(1.0, 2, 2, 2, 2, 3, 0.1),
                new float[] {1.9f, 2.5f, -2.5f, 3.5f, 4.5f, 0.999f, -0.5f, 0.5f, 1.5f, -1.5f, 1, 6, 5, 2, 1, 0, 3, 3,
                        3, 3, 1, -20, -30, -5, -6, 0, 8, 6, 30, 40}, 1, true, 0.3, 6));
        // x1 = y1 = 0 at scale 1: the first sample sits exactly on the -0.5 skip edge (taken).
        l.add(named("samples on the -0.5 edge", 1, 6, 6, spec(1.0, 1, 1, 2, 2, 2, 0.0),
                new float[] {0, 0, 0, 5, 5, 0, 0, 0, 2, 2}, 1, false, 0, 7));
        l.add(named("offsets pushing bins out of the image", 1, 6, 6, spec(0.5, 2, 2, 2, 2, 2, 1.0),
                new float[] {0, 0, 0, 10, 10, 0, 2, 2, 6, 6}, 1, true, 3, 8));
        l.add(named("no RoI", 1, 5, 5, spec(0.5, 2, 2, 2, 2, 2, 0.1), new float[0], 1, true, 1, 9));
        l.add(named("1x1 feature map", 2, 1, 1, spec(0.0625, 3, 2, 3, 3, 2, 0.1),
                new float[] {1, 0, 0, 15, 15, 0, -8, -8, 8, 8}, 1, true, 1, 10));
        // Finite RoIs spanning the float range: roi_w = 6e38 overflows float32 (0 * inf = NaN in
        // the kernel before its geometry was halved); one bin of the first starts exactly at 0.
        float huge = 3e38f;
        l.add(named("huge finite RoI, no offset", 1, 4, 4, spec(1.0, 1, 1, 2, 2, 2, 0.1),
                new float[] {0, -huge, 0, huge, 3, 0, -huge, -huge, huge, huge}, 1, false, 0, 11));
        l.add(named("huge finite RoI, offset, one bin", 1, 4, 4, spec(1.0, 2, 1, 1, 2, 2, 0.1),
                new float[] {0, -huge, 0, huge, 3, 0, 1, -huge, 2, huge}, 1, true, 1, 12));
        l.add(named("huge finite RoI, offset, scale 1/16", 1, 5, 5, spec(0.0625, 1, 1, 3, 3, 3, 0.1),
                new float[] {0, -huge, -huge, huge, huge}, 1, true, 1, 13));
        return l;
    }

    static Stream<Named<RoiPoolCase>> randomCases() {
        Random r = new Random(424242);
        List<Named<RoiPoolCase>> l = new ArrayList<>();
        OffsetStyle[] styles = OffsetStyle.values();
        for (int i = 0; i < 20; i++) {
            int g = 1 + r.nextInt(3), p = 1 + r.nextInt(4), part = 1 + r.nextInt(4), spp = 1 + r.nextInt(4);
            int classes = 1 + r.nextInt(2);
            int od = classes * (1 + r.nextInt(3));
            int n = 1 + r.nextInt(2), h = 1 + r.nextInt(10), w = 1 + r.nextInt(10);
            double scale = new double[] {1.0, 0.5, 0.25, 0.0625, 0.3}[r.nextInt(5)];
            RoiPoolCase c = new RoiPoolCase(n, h, w, 1 + r.nextInt(5), classes,
                    spec(scale, od, g, p, part, spp, 0.1 + r.nextDouble() * 0.2), styles[r.nextInt(styles.length)],
                    RoiPoolCase.RoiStyle.MIXED, 2000 + i);
            // Only cases an F32 backend can be held to, as in the suite's pool01/pool02.
            if (c.f32Safe()) l.add(Named.of("random " + i, c));
        }
        assertTrue(l.size() >= 17, "F32-comparable random cases: " + l.size() + " of 20");
        return l.stream();
    }

    static Stream<Named<RoiPoolCase>> allCases() {
        return Stream.concat(edgeCases().stream(), randomCases());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void matchesReferenceWithCpuStyleLaunches(RoiPoolCase pc) {
        cl.useGpuStyle(false);
        matchesReference(pc);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edgeCases")
    void matchesReferenceWithGpuStyleLaunches(RoiPoolCase pc) {
        cl.useGpuStyle(true);
        matchesReference(pc);
    }

    private void matchesReference(RoiPoolCase pc) {
        Tensor[] a = pc.tensors(cl);
        try {
            try (Tensor got = cl.deformPsRoiPool(pc.spec(), a[0], a[1], a[2])) {
                Compare.check(pc.toString(), "psroi forward", ReferenceErrors.forward(pc, got.toDoubleArray()),
                        Tolerances.FORWARD);
            }
            try (DeformPsRoiPoolGradients got = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                    EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
                Map<Gradient, double[]> grads = new java.util.EnumMap<>(Gradient.class);
                grads.put(Gradient.INPUT, got.input().toDoubleArray());
                if (pc.hasOffset()) grads.put(Gradient.OFFSET, got.offset().toDoubleArray());
                else assertNull(got.offset(), "no offset: no offset gradient");
                for (Map.Entry<Gradient, Double> e : ReferenceErrors.backward(pc, grads).entrySet()) {
                    Compare.check(pc.toString(), "psroi " + e.getKey().fileStem(), e.getValue(), Tolerances.BACKWARD);
                }
            }
        } finally {
            for (Tensor t : a) if (t != null) t.close();
        }
    }

    @Test
    void nanOffsetGivesNanWhereTheReferenceDoes() {
        RoiPoolCase pc = edgeCases().get(1).getPayload();
        float[] offset = pc.offset();
        offset[0] = Float.NaN;
        Tensor[] a = tensors(cl, pc, offset);
        Tensor[] b = tensors(ref, pc, offset);
        assertSameNaNs("forward", ref.deformPsRoiPool(pc.spec(), b[0], b[1], b[2]).toDoubleArray(),
                cl.deformPsRoiPool(pc.spec(), a[0], a[1], a[2]).toDoubleArray());
        DeformPsRoiPoolGradients want = ref.deformPsRoiPoolBackward(pc.spec(), b[3], b[0], b[1], b[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        DeformPsRoiPoolGradients got = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        assertSameNaNs("grad input", want.input().toDoubleArray(), got.input().toDoubleArray());
        assertSameNaNs("grad offset", want.offset().toDoubleArray(), got.offset().toDoubleArray());
    }

    /** The tensors of {@code pc} on {@code b} with {@code offset} in place of its own. */
    private static Tensor[] tensors(Backend b, RoiPoolCase pc, float[] offset) {
        return new Tensor[] {b.tensor(DType.F32, pc.inputShape(), pc.input()), b.tensor(DType.F32, pc.roisShape(),
                pc.rois()), b.tensor(DType.F32, pc.offsetShape(), offset), b.tensor(DType.F32, pc.outputShape(),
                pc.gradOutput())};
    }

    private static void assertSameNaNs(String what, double[] want, double[] got) {
        boolean any = false;
        for (int i = 0; i < want.length; i++) {
            assertEquals(Double.isNaN(want[i]), Double.isNaN(got[i]), what + ": NaN pattern at " + i);
            any |= Double.isNaN(want[i]);
        }
        if (what.equals("forward")) assertTrue(any, "the NaN offset reaches the output");
    }

    @Test
    void roisInChunksMatchAllAtOnce() {
        // A 1-byte budget: one RoI per chunk, the input gradient summed over chunks in RoI order.
        RoiPoolCase pc = edgeCases().get(5).getPayload();
        Tensor[] a = pc.tensors(cl);
        float[] whole, chunked;
        try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT))) {
            whole = g.input().toFloatArray();
        }
        try {
            cl.pool().workspaceBudget(1);
            try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                    EnumSet.of(Gradient.INPUT))) {
                chunked = g.input().toFloatArray();
            }
        } finally {
            cl.pool().workspaceBudget(OpenClDeformConv2d.WORKSPACE_BUDGET);
        }
        double[] w = new double[whole.length], c = new double[whole.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = whole[i];
            c[i] = chunked[i];
        }
        assertTrue(Tolerances.relativeError(c, w) < 1e-6, "chunked vs whole: " + Tolerances.relativeError(c, w));
    }

    @Test
    void repeatedCallsAreBitIdentical() {
        RoiPoolCase pc = edgeCases().get(2).getPayload();
        Tensor[] a = pc.tensors(cl);
        float[] out0 = cl.deformPsRoiPool(pc.spec(), a[0], a[1], a[2]).toFloatArray();
        DeformPsRoiPoolGradients g0 = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        for (int i = 0; i < 3; i++) {
            Compare.assertBitIdentical("forward", out0, cl.deformPsRoiPool(pc.spec(), a[0], a[1], a[2]).toFloatArray());
            try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                    EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
                Compare.assertBitIdentical("grad input", g0.input().toFloatArray(), g.input().toFloatArray());
                Compare.assertBitIdentical("grad offset", g0.offset().toFloatArray(), g.offset().toFloatArray());
            }
        }
    }

    @Test
    void onlyRequestedGradientsAreComputed() {
        RoiPoolCase pc = edgeCases().get(1).getPayload();
        Tensor[] a = pc.tensors(cl);
        try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.OFFSET))) {
            assertNull(g.input());
            assertArrayEquals(pc.offsetShape(), g.offset().shape());
        }
        try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], null,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            assertNull(g.offset(), "no offset: no offset gradient");
            assertArrayEquals(pc.inputShape(), g.input().shape());
        }
    }
}
