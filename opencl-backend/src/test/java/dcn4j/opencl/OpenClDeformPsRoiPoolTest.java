package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code opencl} deformable PS RoI pooling against the float64 reference (the official MXNet
 * kernel's arithmetic): forward within 1e-5, input and offset gradients within 1e-4, norm-relative.
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

    static List<PoolCase> edgeCases() {
        List<PoolCase> l = new ArrayList<>();
        float[] inside = {0, 8, 8, 40, 36, 1, 0, 0, 63, 63, 0, 20.5f, 4.5f, 50.5f, 30.5f};
        l.add(new PoolCase("no_trans", 2, 8, 8, spec(0.125, 2, 3, 3, 3, 2, 0.1), inside, 1, false, 0, 1));
        l.add(new PoolCase("offset, one class", 2, 8, 8, spec(0.125, 2, 3, 3, 3, 2, 0.1), inside, 1, true, 1, 2));
        l.add(new PoolCase("offset, two classes", 2, 8, 8, spec(0.125, 4, 3, 3, 3, 2, 0.1), inside, 2, true, 1, 3));
        l.add(new PoolCase("group size 1: deformable RoI pooling", 2, 8, 8, spec(0.125, 5, 1, 3, 3, 2, 0.1), inside, 1,
                true, 1, 4));
        l.add(new PoolCase("pooled 4, group 2, part 2, 4 samples", 1, 10, 9, spec(0.25, 3, 2, 4, 2, 4, 0.2),
                new float[] {0, 2, 3, 30, 33, 0, -6, -4, 12, 9}, 1, true, 0.5, 5));
        // Half-way corners (C round: half away from zero), negative, inverted and tiny RoIs,
        // RoIs past every border, batch indices truncated toward zero (1.9 -> 1, 0.999 -> 0).
        l.add(new PoolCase("rounding, inverted, tiny, outside, truncated batch", 2, 7, 9,
                spec(1.0, 2, 2, 2, 2, 3, 0.1),
                new float[] {1.9f, 2.5f, -2.5f, 3.5f, 4.5f, 0.999f, -0.5f, 0.5f, 1.5f, -1.5f, 1, 6, 5, 2, 1, 0, 3, 3,
                        3, 3, 1, -20, -30, -5, -6, 0, 8, 6, 30, 40}, 1, true, 0.3, 6));
        // x1 = y1 = 0 at scale 1: the first sample sits exactly on the -0.5 skip edge (taken).
        l.add(new PoolCase("samples on the -0.5 edge", 1, 6, 6, spec(1.0, 1, 1, 2, 2, 2, 0.0),
                new float[] {0, 0, 0, 5, 5, 0, 0, 0, 2, 2}, 1, false, 0, 7));
        l.add(new PoolCase("offsets pushing bins out of the image", 1, 6, 6, spec(0.5, 2, 2, 2, 2, 2, 1.0),
                new float[] {0, 0, 0, 10, 10, 0, 2, 2, 6, 6}, 1, true, 3, 8));
        l.add(new PoolCase("no RoI", 1, 5, 5, spec(0.5, 2, 2, 2, 2, 2, 0.1), new float[0], 1, true, 1, 9));
        l.add(new PoolCase("1x1 feature map", 2, 1, 1, spec(0.0625, 3, 2, 3, 3, 2, 0.1),
                new float[] {1, 0, 0, 15, 15, 0, -8, -8, 8, 8}, 1, true, 1, 10));
        // Finite RoIs spanning the float range: roi_w = 6e38 overflows float32 (0 * inf = NaN in
        // the kernel before its geometry was halved); one bin of the first starts exactly at 0.
        float huge = 3e38f;
        l.add(new PoolCase("huge finite RoI, no offset", 1, 4, 4, spec(1.0, 1, 1, 2, 2, 2, 0.1),
                new float[] {0, -huge, 0, huge, 3, 0, -huge, -huge, huge, huge}, 1, false, 0, 11));
        l.add(new PoolCase("huge finite RoI, offset, one bin", 1, 4, 4, spec(1.0, 2, 1, 1, 2, 2, 0.1),
                new float[] {0, -huge, 0, huge, 3, 0, 1, -huge, 2, huge}, 1, true, 0.01, 12));
        l.add(new PoolCase("huge finite RoI, offset, scale 1/16", 1, 5, 5, spec(0.0625, 1, 1, 3, 3, 3, 0.1),
                new float[] {0, -huge, -huge, huge, huge}, 1, true, 1e-36, 13));
        return l;
    }

    static Stream<PoolCase> randomCases() {
        Random r = new Random(424242);
        List<PoolCase> l = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int g = 1 + r.nextInt(3), p = 1 + r.nextInt(4), part = 1 + r.nextInt(4), spp = 1 + r.nextInt(4);
            int classes = 1 + r.nextInt(2);
            int od = classes * (1 + r.nextInt(3));
            int n = 1 + r.nextInt(2), h = 1 + r.nextInt(10), w = 1 + r.nextInt(10);
            double scale = new double[] {1.0, 0.5, 0.25, 0.0625, 0.3}[r.nextInt(5)];
            boolean off = r.nextBoolean();
            float[] rois = PoolCase.randomRois(r, 1 + r.nextInt(5), n, h / scale, w / scale);
            l.add(new PoolCase("random " + i, n, h, w, spec(scale, od, g, p, part, spp, 0.1 + r.nextDouble() * 0.2),
                    rois, off ? classes : 1, off, 1, 2000 + i));
        }
        return l.stream();
    }

    static Stream<PoolCase> allCases() {
        return Stream.concat(edgeCases().stream(), randomCases());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allCases")
    void matchesReferenceWithCpuStyleLaunches(PoolCase pc) {
        cl.useGpuStyle(false);
        matchesReference(pc);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edgeCases")
    void matchesReferenceWithGpuStyleLaunches(PoolCase pc) {
        cl.useGpuStyle(true);
        matchesReference(pc);
    }

    private void matchesReference(PoolCase pc) {
        float[][] d = pc.data();
        Tensor[] a = pc.tensors(cl, d);
        Tensor[] b = pc.tensors(ref, d);
        try (Tensor got = cl.deformPsRoiPool(pc.spec(), a[0], a[1], a[2]);
             Tensor want = ref.deformPsRoiPool(pc.spec(), b[0], b[1], b[2])) {
            Compare.check(pc.toString(), "psroi forward", got, want, Compare.FORWARD);
        }
        try (DeformPsRoiPoolGradients got = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
             DeformPsRoiPoolGradients want = ref.deformPsRoiPoolBackward(pc.spec(), b[3], b[0], b[1], b[2],
                     EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            Compare.check(pc.toString(), "psroi grad_input", got.input(), want.input(), Compare.BACKWARD);
            Compare.check(pc.toString(), "psroi grad_offset", got.offset(), want.offset(), Compare.BACKWARD);
        }
        for (Tensor t : a) if (t != null) t.close();
    }

    @Test
    void nanOffsetGivesNanWhereTheReferenceDoes() {
        PoolCase pc = edgeCases().get(1);
        float[][] d = pc.data();
        d[2][0] = Float.NaN;
        Tensor[] a = pc.tensors(cl, d);
        Tensor[] b = pc.tensors(ref, d);
        assertSameNaNs("forward", ref.deformPsRoiPool(pc.spec(), b[0], b[1], b[2]).toDoubleArray(),
                cl.deformPsRoiPool(pc.spec(), a[0], a[1], a[2]).toDoubleArray());
        DeformPsRoiPoolGradients want = ref.deformPsRoiPoolBackward(pc.spec(), b[3], b[0], b[1], b[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        DeformPsRoiPoolGradients got = cl.deformPsRoiPoolBackward(pc.spec(), a[3], a[0], a[1], a[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        assertSameNaNs("grad input", want.input().toDoubleArray(), got.input().toDoubleArray());
        assertSameNaNs("grad offset", want.offset().toDoubleArray(), got.offset().toDoubleArray());
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
        PoolCase pc = edgeCases().get(5);
        Tensor[] a = pc.tensors(cl, pc.data());
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
        assertTrue(Compare.relativeError(c, w) < 1e-6, "chunked vs whole: " + Compare.relativeError(c, w));
    }

    @Test
    void repeatedCallsAreBitIdentical() {
        PoolCase pc = edgeCases().get(2);
        Tensor[] a = pc.tensors(cl, pc.data());
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
        PoolCase pc = edgeCases().get(1);
        Tensor[] a = pc.tensors(cl, pc.data());
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
