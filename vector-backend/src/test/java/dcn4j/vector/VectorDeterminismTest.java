package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dcn4j.Backend;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.RoiPoolCase;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md conformance property 7 for the vector backend: repeated calls, calls with 1, 2, 3, 4 or 6
 * worker threads (the backward pipelined on 1 and 2, chunk-wide on more), and calls made from 4 threads at once
 * on one backend all give bit-identical results (no atomics; every reduction has an order fixed by the shape).
 */
class VectorDeterminismTest {

    /** Large enough for several forward chunks, backward pixel blocks, channel blocks and weight tiles. */
    static final ConvCase CASE = new ConvCase(3, 37, 15, 13, 41, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1),
            true, true, true, ConvCase.OffsetStyle.MIXED, 77);
    static final ConvCase GROUPED = new ConvCase(2, 24, 11, 12, 18, 3, 2, new DeformConv2dSpec(2, 1, 1, 0, 1, 2, 3, 4),
            true, true, true, ConvCase.OffsetStyle.SMALL, 78);
    static final RoiPoolCase ROIS = new RoiPoolCase(2, 14, 17, 23, 2, new DeformPsRoiPoolSpec(0.25, 6, 3, 3, 3, 2, 0.25),
            RoiPoolCase.OffsetStyle.SMALL, RoiPoolCase.RoiStyle.MIXED, 79);

    static double[][] results(Backend b, ConvCase c) {
        Map<Gradient, double[]> g = c.backward(b, Gradient.all());
        return new double[][] {c.forward(b), g.get(Gradient.INPUT), g.get(Gradient.OFFSET), g.get(Gradient.MASK),
            g.get(Gradient.WEIGHT), g.get(Gradient.BIAS)};
    }

    static double[][] results(Backend b, RoiPoolCase c) {
        Map<Gradient, double[]> g = c.backward(b, EnumSet.of(Gradient.INPUT, Gradient.OFFSET));
        return new double[][] {c.forward(b), g.get(Gradient.INPUT), g.get(Gradient.OFFSET)};
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
                for (int r = 0; r < 3; r++) assertSameBits(first, results(b, c), c + " repeat " + r);
            }
            double[][] first = results(b, ROIS);
            for (int r = 0; r < 3; r++) assertSameBits(first, results(b, ROIS), "rois repeat " + r);
        }
    }

    @Test
    void threadCountDoesNotChangeAnyBit() {
        double[][][] expected = new double[3][][];
        try (Backend one = new VectorBackend(1)) {
            expected[0] = results(one, CASE);
            expected[1] = results(one, GROUPED);
            expected[2] = results(one, ROIS);
        }
        // Up to VectorDeformConv2d.PIPELINE_MAX_THREADS (2) the backward pipelines its column gradient; 3, 4, 6 do not.
        for (int threads : new int[] {2, 3, 4, 6}) {
            try (Backend b = new VectorBackend(threads)) {
                assertSameBits(expected[0], results(b, CASE), threads + " threads");
                assertSameBits(expected[1], results(b, GROUPED), threads + " threads grouped");
                assertSameBits(expected[2], results(b, ROIS), threads + " threads rois");
            }
        }
    }

    @Test
    void concurrentCallersGetTheSameBitsAsSequentialOnes() throws Exception {
        try (Backend b = new VectorBackend(2)) {
            double[][] conv = results(b, CASE);
            double[][] grouped = results(b, GROUPED);
            double[][] rois = results(b, ROIS);
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<double[][]>> futures = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    int kind = i % 3;
                    futures.add(callers.submit(() -> kind == 0 ? results(b, CASE)
                            : kind == 1 ? results(b, GROUPED) : results(b, ROIS)));
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
        assertEquals(s.outputDim() * s.groupSize() * s.groupSize(), s.inputChannels());
    }
}
