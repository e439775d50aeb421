package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ReferenceErrors;
import dcn4j.conformance.RoiPoolCase;
import dcn4j.conformance.RoiPoolCase.OffsetStyle;
import dcn4j.conformance.RoiPoolCase.RoiStyle;
import dcn4j.conformance.Tolerances;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend's deformable PS RoI pooling against the reference (the official MXNet kernel's
 * arithmetic), judged by the conformance suite's own measure ({@link ReferenceErrors}, as
 * {@code pool01}/{@code pool02}): output within 1e-5, input and offset gradients within 1e-4, on
 * the suite's {@link RoiPoolCase}s that an F32 backend can be held to ({@link RoiPoolCase#f32Safe()}).
 */
class VectorDeformPsRoiPoolTest {

    static Backend vector;
    static double worstForward, worstBackward;

    @BeforeAll
    static void open() {
        vector = new VectorBackend(2);
    }

    @AfterAll
    static void close() {
        vector.close();
        System.out.printf("vector deform_psroi_pool vs reference: worst forward %.3g, worst backward %.3g%n",
                worstForward, worstBackward);
    }

    /** A case with feature stride 4 ({@code spatialScale} 0.25); {@code classes} 0 means {@code no_trans}. */
    static Named<RoiPoolCase> named(String name, int batch, int outputDim, int group, int height, int width, int rois,
                                    int pooled, int part, int samples, int classes, double transStd, RoiStyle style,
                                    long seed) {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.25, outputDim, group, pooled, part, samples, transStd);
        return Named.of(name, new RoiPoolCase(batch, height, width, rois, Math.max(1, classes), spec,
                classes == 0 ? OffsetStyle.NONE : OffsetStyle.SMALL, style, seed));
    }

    static List<Named<RoiPoolCase>> drawn() {
        List<Named<RoiPoolCase>> c = new ArrayList<>();
        RoiStyle mixed = RoiStyle.MIXED;
        c.add(named("ps-g3-p3", 2, 4, 3, 12, 14, 9, 3, 3, 2, 1, 0.1, mixed, 1));
        c.add(named("ps-g3-no-trans", 1, 5, 3, 10, 9, 7, 3, 3, 2, 0, 0.1, mixed, 2));
        c.add(named("roipool-g1-classes3", 2, 6, 1, 11, 13, 8, 4, 2, 3, 3, 0.2, mixed, 3));
        c.add(named("ps-g7-p7-classes2", 1, 4, 7, 15, 16, 5, 7, 7, 2, 2, 0.1, RoiStyle.INSIDE, 4));
        c.add(named("wide-outputDim-37", 2, 37, 2, 9, 10, 6, 2, 2, 3, 1, 0.3, mixed, 5));
        c.add(named("pooled5-part3-spp4", 1, 3, 5, 8, 12, 6, 5, 3, 4, 3, 0.15, mixed, 6));
        c.add(named("image-1x1", 1, 2, 2, 1, 1, 4, 2, 2, 2, 1, 0.5, mixed, 7));
        c.add(named("many-rois-batch3", 3, 18, 2, 9, 9, 40, 3, 3, 2, 2, 0.1, mixed, 8));
        c.add(named("no-rois", 1, 4, 2, 6, 6, 0, 2, 2, 2, 1, 0.1, mixed, 9));
        c.add(named("half-integer-corners", 2, 4, 2, 9, 9, 8, 3, 3, 2, 1, 0.1, RoiStyle.HALF_INTEGER, 10));
        c.add(named("inverted-and-tiny", 1, 4, 2, 9, 9, 8, 3, 3, 2, 1, 0.1, RoiStyle.INVERTED, 11));
        c.add(named("far-outside", 1, 4, 2, 9, 9, 8, 3, 3, 2, 1, 0.1, RoiStyle.FAR_OUTSIDE, 12));
        Random r = new Random(424242);
        for (int i = 0; i < 20; i++) {
            int group = 1 + r.nextInt(4), pooled = 1 + r.nextInt(5);
            int classes = r.nextInt(3);
            int outputDim = Math.max(1, classes) * (1 + r.nextInt(12));
            c.add(named("random-" + i, 1 + r.nextInt(3), outputDim, group, 1 + r.nextInt(14), 1 + r.nextInt(14),
                    1 + r.nextInt(12), pooled, 1 + r.nextInt(5), 1 + r.nextInt(4), classes,
                    0.05 + 0.3 * r.nextDouble(), mixed, 100 + i));
        }
        return c;
    }

    /** The drawn cases an F32 backend can be held to (the suite's pool01/pool02 use only those too). */
    static Stream<Named<RoiPoolCase>> cases() {
        return drawn().stream().filter(n -> n.getPayload().f32Safe());
    }

    @Test
    void almostEveryDrawnCaseIsComparable() {
        // Guards the filter above: it must not leave the comparison below (nearly) empty.
        long safe = cases().count(), all = drawn().size();
        assertTrue(safe >= all - 3, safe + " of " + all + " cases are F32-comparable");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputAndGradientsMatchReference(RoiPoolCase c) {
        double f = ReferenceErrors.forward(c, c.forward(vector));
        worstForward = Math.max(worstForward, f);
        assertTrue(f <= Tolerances.FORWARD, c + ": output relative error " + f);
        Map<Gradient, double[]> got = new EnumMap<>(Gradient.class);
        Tensor[] t = c.tensors(vector);
        try (DeformPsRoiPoolGradients g = vector.deformPsRoiPoolBackward(c.spec(), t[3], t[0], t[1], t[2],
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            got.put(Gradient.INPUT, g.input().toDoubleArray());
            if (c.hasOffset()) got.put(Gradient.OFFSET, g.offset().toDoubleArray());
            else assertNull(g.offset(), c + ": no offset, no offset gradient");
        } finally {
            for (Tensor x : t) if (x != null) x.close();
        }
        for (Map.Entry<Gradient, Double> e : ReferenceErrors.backward(c, got).entrySet()) {
            worstBackward = Math.max(worstBackward, e.getValue());
            assertTrue(e.getValue() <= Tolerances.BACKWARD,
                    c + ": " + e.getKey().fileStem() + " relative error " + e.getValue());
        }
    }
}
