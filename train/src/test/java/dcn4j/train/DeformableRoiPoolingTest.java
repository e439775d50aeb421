package dcn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deformable RoI pooling and deformable PS RoI pooling with their offset heads, on the reference
 * backend. The RoIs lie well inside the 12x12 feature map and the offsets stay within about 1.5
 * pixels, so no sample crosses the skip or clamp edges where the official kernel's derivative is
 * not the true one (DESIGN.md).
 */
class DeformableRoiPoolingTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.open("reference");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static final int N = 2, C = 3, S = 12, K = 3, SAMPLES = 2;
    private static final double SCALE = 0.5, GAMMA = 0.1;
    /** (batch, x1, y1, x2, y2) in image pixels: feature x from 2.5 to 8.5 and so on. */
    private static final double[] ROIS = {0, 6, 6, 15, 17, 1, 7, 5, 16, 14, 0, 8, 9, 14, 15};

    private static Tensor rois() {
        return backend.tensor(new int[] {ROIS.length / 5, 5}, ROIS);
    }

    private static void randomise(Parameter p, Random rng, double std) {
        System.arraycopy(GradCheck.gaussian(rng, p.size(), std), 0, p.value(), 0, p.size());
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    // ---- deformable RoI pooling (fc offset head) ----

    private static double loss(DeformableRoiPooling layer, double[] x, double[] r) {
        try (Tensor in = backend.tensor(new int[] {N, C, S, S}, x); Tensor rois = rois();
             Tensor out = layer.forward(in, rois)) {
            return GradCheck.dot(out.toDoubleArray(), r);
        }
    }

    /** The input gradient (through both poolings and the fc head) and the fc head's gradients match finite differences. */
    @Test
    void roiPoolingGradientsThroughTheFcOffsetHeadMatchFiniteDifferences() {
        Random rng = new Random(21);
        var layer = new DeformableRoiPooling(backend, "roi", C, K, SCALE, SAMPLES, GAMMA, 0.01);
        for (Parameter p : layer.parameters()) randomise(p, rng, 0.3);
        double[] x = GradCheck.gaussian(rng, N * C * S * S, 1);
        double[] r = GradCheck.gaussian(rng, ROIS.length / 5 * C * K * K, 1);
        double[] gx;
        try (Tensor in = backend.tensor(new int[] {N, C, S, S}, x); Tensor rois = rois();
             Tensor out = layer.forward(in, rois); Tensor g = backend.tensor(out.shape(), r);
             Tensor gIn = layer.backward(g)) {
            gx = gIn.toDoubleArray();
        }
        double shift = maxAbs(layer.lastOffsets()) * GAMMA * 6;
        assertTrue(shift > 0.2 && shift < 1.5, "bin shifts should be sizeable but inside the map: " + shift);
        GradCheck.check("input", x, gx, () -> loss(layer, x, r), x.length, 1e-6, rng);
        for (Parameter p : layer.parameters()) {
            GradCheck.check(p.name(), p.value(), p.grad().clone(), () -> loss(layer, x, r), 80, 1e-6, rng);
        }
    }

    /** With the fc head at zero, the layer is exactly plain RoI pooling ({@code no_trans}). */
    @Test
    void zeroInitialisedFcHeadGivesPlainRoiPooling() {
        var layer = new DeformableRoiPooling(backend, "roi", C, K, SCALE, SAMPLES, GAMMA, 0.01);
        var spec = new DeformPsRoiPoolSpec(SCALE, C, 1, K, K, SAMPLES, GAMMA);
        double[] x = GradCheck.gaussian(new Random(22), N * C * S * S, 1);
        try (Tensor in = backend.tensor(new int[] {N, C, S, S}, x); Tensor rois = rois();
             Tensor got = layer.forward(in, rois); Tensor want = backend.deformPsRoiPool(spec, in, rois, null)) {
            assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), 0.0);
        }
    }

    /** Learning the offsets alone, from zero, brings the pooled output closer to a teacher's with other offsets. */
    @Test
    void roiPoolingOffsetsLearnTowardsATeacher() {
        Random rng = new Random(23);
        var teacher = new DeformableRoiPooling(backend, "t", C, K, SCALE, SAMPLES, GAMMA, 1);
        for (Parameter p : teacher.parameters()) randomise(p, rng, 0.3);
        var student = new DeformableRoiPooling(backend, "s", C, K, SCALE, SAMPLES, GAMMA, 1);
        double[] x = smoothImage(rng, N * C);
        try (Tensor in = backend.tensor(new int[] {N, C, S, S}, x); Tensor rois = rois()) {
            double[] target;
            try (Tensor t = teacher.forward(in, rois)) {
                target = t.toDoubleArray();
            }
            Sgd sgd = new Sgd(student.parameters(), 0.05, 0.9, 0);
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 30; step++) {
                try (Tensor y = student.forward(in, rois)) {
                    double[] d = y.toDoubleArray();
                    double l = 0;
                    for (int i = 0; i < d.length; i++) {
                        d[i] -= target[i];
                        l += 0.5 * d[i] * d[i];
                    }
                    if (step == 0) first = l;
                    last = l;
                    sgd.zeroGrad();
                    try (Tensor g = backend.tensor(y.shape(), d)) {
                        student.backward(g).close();
                    }
                    sgd.step();
                }
            }
            assertTrue(last < 0.5 * first, "MSE to the teacher " + first + " -> " + last);
        }
    }

    /** Smooth random planes (sums of a few low-frequency waves): offsets then have a gradient to follow. */
    private static double[] smoothImage(Random rng, int planes) {
        double[] v = new double[planes * S * S];
        for (int p = 0; p < planes; p++) {
            double a = rng.nextDouble() * 0.8 + 0.3, b = rng.nextDouble() * 0.8 + 0.3;
            double ph = rng.nextDouble() * 6, pv = rng.nextDouble() * 6;
            for (int y = 0; y < S; y++) {
                for (int x = 0; x < S; x++) v[(p * S + y) * S + x] = Math.sin(a * x + ph) + Math.cos(b * y + pv);
            }
        }
        return v;
    }

    // ---- deformable PS RoI pooling (conv offset branch) ----

    private static final int F = 3, OUT = 2;

    private static double psLoss(DeformablePsRoiPooling layer, double[] f, double[] s, double[] r) {
        try (Tensor ft = backend.tensor(new int[] {N, F, S, S}, f);
             Tensor st = backend.tensor(new int[] {N, OUT * K * K, S, S}, s); Tensor rois = rois();
             Tensor out = layer.forward(ft, st, rois)) {
            return GradCheck.dot(out.toDoubleArray(), r);
        }
    }

    /** Feature, score-map and offset-conv gradients of the PS form match finite differences, per-class offsets. */
    @Test
    void psRoiPoolingGradientsThroughTheConvOffsetBranchMatchFiniteDifferences() {
        Random rng = new Random(31);
        var layer = new DeformablePsRoiPooling(backend, "ps", F, OUT, K, SCALE, SAMPLES, GAMMA, OUT, 3, 1.0);
        for (Parameter p : layer.parameters()) randomise(p, rng, 0.15);
        double[] f = GradCheck.gaussian(rng, N * F * S * S, 1);
        double[] s = GradCheck.gaussian(rng, N * OUT * K * K * S * S, 1);
        double[] r = GradCheck.gaussian(rng, ROIS.length / 5 * OUT * K * K, 1);
        double[] gf, gs;
        try (Tensor ft = backend.tensor(new int[] {N, F, S, S}, f);
             Tensor st = backend.tensor(new int[] {N, OUT * K * K, S, S}, s); Tensor rois = rois();
             Tensor out = layer.forward(ft, st, rois); Tensor g = backend.tensor(out.shape(), r);
             var grads = layer.backward(g)) {
            gf = grads.features().toDoubleArray();
            gs = grads.scoreMaps().toDoubleArray();
        }
        double shift = maxAbs(layer.lastOffsets()) * GAMMA * 6;
        assertTrue(shift > 0.2 && shift < 1.5, "bin shifts should be sizeable but inside the map: " + shift);
        GradCheck.check("features", f, gf, () -> psLoss(layer, f, s, r), f.length, 1e-6, rng);
        GradCheck.check("scoreMaps", s, gs, () -> psLoss(layer, f, s, r), 300, 1e-6, rng);
        for (Parameter p : layer.parameters()) {
            GradCheck.check(p.name(), p.value(), p.grad().clone(), () -> psLoss(layer, f, s, r), 80, 1e-6, rng);
        }
    }

    /** With the offset conv at zero, the layer is exactly plain PS RoI pooling ({@code no_trans}). */
    @Test
    void zeroInitialisedOffsetConvGivesPlainPsRoiPooling() {
        var layer = new DeformablePsRoiPooling(backend, "ps", F, OUT, K, SCALE, SAMPLES, GAMMA, 1, 1, 1.0);
        var spec = new DeformPsRoiPoolSpec(SCALE, OUT, K, K, K, SAMPLES, GAMMA);
        Random rng = new Random(32);
        try (Tensor ft = backend.tensor(new int[] {N, F, S, S}, GradCheck.gaussian(rng, N * F * S * S, 1));
             Tensor st = backend.tensor(new int[] {N, OUT * K * K, S, S}, GradCheck.gaussian(rng, N * OUT * K * K * S * S, 1));
             Tensor rois = rois(); Tensor got = layer.forward(ft, st, rois);
             Tensor want = backend.deformPsRoiPool(spec, st, rois, null)) {
            assertArrayEquals(want.toDoubleArray(), got.toDoubleArray(), 0.0);
        }
    }

    /** Learning the offset conv alone, from zero, brings the PS-pooled output closer to a teacher's. */
    @Test
    void psRoiPoolingOffsetsLearnTowardsATeacher() {
        Random rng = new Random(33);
        var teacher = new DeformablePsRoiPooling(backend, "t", F, OUT, K, SCALE, SAMPLES, GAMMA, 1, 1, 1.0);
        for (Parameter p : teacher.parameters()) randomise(p, rng, 0.3);
        var student = new DeformablePsRoiPooling(backend, "s", F, OUT, K, SCALE, SAMPLES, GAMMA, 1, 1, 1.0);
        try (Tensor ft = backend.tensor(new int[] {N, F, S, S}, smoothImage(rng, N * F));
             Tensor st = backend.tensor(new int[] {N, OUT * K * K, S, S}, smoothImage(rng, N * OUT * K * K));
             Tensor rois = rois()) {
            double[] target;
            try (Tensor t = teacher.forward(ft, st, rois)) {
                target = t.toDoubleArray();
            }
            Sgd sgd = new Sgd(student.parameters(), 0.02, 0.9, 0);
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 30; step++) {
                try (Tensor y = student.forward(ft, st, rois)) {
                    double[] d = y.toDoubleArray();
                    double l = 0;
                    for (int i = 0; i < d.length; i++) {
                        d[i] -= target[i];
                        l += 0.5 * d[i] * d[i];
                    }
                    if (step == 0) first = l;
                    last = l;
                    sgd.zeroGrad();
                    try (Tensor g = backend.tensor(y.shape(), d); var grads = student.backward(g)) {
                        assertTrue(grads.features() != null && grads.scoreMaps() != null);
                    }
                    sgd.step();
                }
            }
            assertTrue(last < 0.5 * first, "MSE to the teacher " + first + " -> " + last);
        }
    }
}
