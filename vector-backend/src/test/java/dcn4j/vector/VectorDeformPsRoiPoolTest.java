package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector backend's deformable PS RoI pooling against the reference (the official MXNet kernel's
 * arithmetic): output within 1e-5, input and offset gradients within 1e-4, norm-relative.
 */
class VectorDeformPsRoiPoolTest {

    static Backend reference;
    static Backend vector;
    static double worstForward, worstBackward;

    @BeforeAll
    static void open() {
        reference = Backends.open("reference");
        vector = new VectorBackend(2);
    }

    @AfterAll
    static void close() {
        reference.close();
        vector.close();
        System.out.printf("vector deform_psroi_pool vs reference: worst forward %.3g, worst backward %.3g%n",
                worstForward, worstBackward);
    }

    static Stream<PsRoiCase> cases() {
        List<PsRoiCase> c = new ArrayList<>();
        c.add(PsRoiCase.random("ps-g3-p3", 2, 4, 3, 12, 14, 9, 3, 3, 2, 1, 0.1, 1));
        c.add(PsRoiCase.random("ps-g3-no-trans", 1, 5, 3, 10, 9, 7, 3, 3, 2, 0, 0.1, 2));
        c.add(PsRoiCase.random("roipool-g1-classes3", 2, 6, 1, 11, 13, 8, 4, 2, 3, 3, 0.2, 3));
        c.add(PsRoiCase.random("ps-g7-p7-classes2", 1, 4, 7, 15, 16, 5, 7, 7, 2, 2, 0.1, 4));
        c.add(PsRoiCase.random("wide-outputDim-37", 2, 37, 2, 9, 10, 6, 2, 2, 3, 1, 0.3, 5));
        c.add(PsRoiCase.random("pooled5-part3-spp4", 1, 3, 5, 8, 12, 6, 5, 3, 4, 3, 0.15, 6));
        c.add(PsRoiCase.random("image-1x1", 1, 2, 2, 1, 1, 4, 2, 2, 2, 1, 0.5, 7));
        c.add(PsRoiCase.random("many-rois-batch3", 3, 18, 2, 9, 9, 40, 3, 3, 2, 2, 0.1, 8));
        c.add(PsRoiCase.random("no-rois", 1, 4, 2, 6, 6, 0, 2, 2, 2, 1, 0.1, 9));
        Random r = new Random(424242);
        for (int i = 0; i < 20; i++) {
            int group = 1 + r.nextInt(4), pooled = 1 + r.nextInt(5);
            int classes = r.nextInt(3);
            int outputDim = Math.max(1, classes) * (1 + r.nextInt(12));
            c.add(PsRoiCase.random("random-" + i, 1 + r.nextInt(3), outputDim, group, 1 + r.nextInt(14),
                    1 + r.nextInt(14), 1 + r.nextInt(12), pooled, 1 + r.nextInt(5), 1 + r.nextInt(4), classes,
                    0.05 + 0.3 * r.nextDouble(), 100 + i));
        }
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputAndGradientsMatchReference(PsRoiCase c) {
        double[][] ref = c.results(reference);
        double[][] got = c.results(vector);
        double f = ConvCase.relativeError(got[0], ref[0]);
        worstForward = Math.max(worstForward, f);
        assertTrue(f <= 1e-5, c + ": output relative error " + f);
        for (int i = 1; i < 3; i++) {
            if (ref[i] == null) {
                assertNull(got[i], c + ": gradient " + i + " should be absent");
                continue;
            }
            double e = ConvCase.relativeError(got[i], ref[i]);
            worstBackward = Math.max(worstBackward, e);
            assertTrue(e <= 1e-4, c + ": " + (i == 1 ? "grad_input" : "grad_offset") + " relative error " + e);
        }
    }
}
