package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md conformance property 7 for the vector backend: repeated calls, calls with 1, 2, 3 or 4
 * worker threads, and calls made from 4 threads at once on one backend all give bit-identical results
 * (no atomics; every reduction has an order fixed by the shape).
 */
class VectorDeterminismTest {

    /** Large enough for several forward chunks, backward pixel blocks, channel blocks and weight tiles. */
    static final ConvCase CASE = ConvCase.of("determinism", 3, 37, 15, 13, 41, 3, 3,
            new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1), true, true, true, 2.5, 77);
    static final ConvCase GROUPED = ConvCase.of("determinism-grouped", 2, 24, 11, 12, 18, 3, 2,
            new DeformConv2dSpec(2, 1, 1, 0, 1, 2, 3, 4), true, true, true, 3, 78);
    static final PsRoiCase ROIS = PsRoiCase.random("determinism-rois", 2, 6, 3, 14, 17, 23, 3, 3, 2, 2, 0.25, 79);

    static double[][] results(Backend b, ConvCase c) {
        double[][] g = c.backward(b);
        return new double[][] {c.forward(b), g[0], g[1], g[2], g[3], g[4]};
    }

    static void assertSameBits(double[][] expected, double[][] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], actual[i], what + " #" + i);
    }

    @Test
    void repeatedCallsAreBitIdentical() {
        try (Backend b = new VectorBackend(2)) {
            for (ConvCase c : List.of(CASE, GROUPED)) {
                double[][] first = results(b, c);
                for (int r = 0; r < 3; r++) assertSameBits(first, results(b, c), c.name() + " repeat " + r);
            }
            double[][] first = ROIS.results(b);
            for (int r = 0; r < 3; r++) assertSameBits(first, ROIS.results(b), "rois repeat " + r);
        }
    }

    @Test
    void threadCountDoesNotChangeAnyBit() {
        double[][][] expected = new double[3][][];
        try (Backend one = new VectorBackend(1)) {
            expected[0] = results(one, CASE);
            expected[1] = results(one, GROUPED);
            expected[2] = ROIS.results(one);
        }
        for (int threads : new int[] {2, 3, 4}) {
            try (Backend b = new VectorBackend(threads)) {
                assertSameBits(expected[0], results(b, CASE), threads + " threads");
                assertSameBits(expected[1], results(b, GROUPED), threads + " threads grouped");
                assertSameBits(expected[2], ROIS.results(b), threads + " threads rois");
            }
        }
    }

    @Test
    void concurrentCallersGetTheSameBitsAsSequentialOnes() throws Exception {
        try (Backend b = new VectorBackend(2)) {
            double[][] conv = results(b, CASE);
            double[][] grouped = results(b, GROUPED);
            double[][] rois = ROIS.results(b);
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<double[][]>> futures = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    int kind = i % 3;
                    futures.add(callers.submit(() -> kind == 0 ? results(b, CASE)
                            : kind == 1 ? results(b, GROUPED) : ROIS.results(b)));
                }
                for (int i = 0; i < futures.size(); i++) {
                    double[][] expected = i % 3 == 0 ? conv : i % 3 == 1 ? grouped : rois;
                    assertSameBits(expected, futures.get(i).get(), "concurrent call " + i);
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void psRoiSpecUsedHereIsValid() {
        // Guards the fixture: a spec that validation rejects would make the tests above vacuous.
        DeformPsRoiPoolSpec s = ROIS.spec();
        assertEquals(ROIS.outputDim() * s.groupSize() * s.groupSize(), s.inputChannels());
    }
}
