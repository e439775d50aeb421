package dcn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The demonstration network and its training loop, on the reference backend. */
class PairsNetTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.open("reference");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static double[] images(List<PairsDataset.Sample> samples) {
        int pixels = PairsDataset.SIZE * PairsDataset.SIZE;
        double[] images = new double[samples.size() * pixels];
        for (int i = 0; i < samples.size(); i++) System.arraycopy(samples.get(i).image(), 0, images, i * pixels, pixels);
        return images;
    }

    private static int[] labels(List<PairsDataset.Sample> samples) {
        return samples.stream().mapToInt(PairsDataset.Sample::label).toArray();
    }

    /**
     * With the offset branches at zero, the deformable network is exactly the plain one at step 0:
     * same logits, and the same gradient for every parameter the two share (the zero offset
     * branch passes no gradient back to its input).
     */
    @Test
    void zeroInitialisedOffsetsGiveExactlyThePlainNetworkAtStepZero() {
        List<PairsDataset.Sample> batch = PairsDataset.generate(6, 42);
        PairsNet plain = new PairsNet(backend, false, 9, 1.0);
        PairsNet deformable = new PairsNet(backend, true, 9, 1.0);
        double[] a = plain.forward(images(batch), batch.size());
        double[] b = deformable.forward(images(batch), batch.size());
        assertArrayEquals(a, b, 0.0);

        double[] p = HostOps.softmax(a, batch.size(), PairsDataset.CLASSES);
        double[] g = HostOps.crossEntropyBackward(p, labels(batch), PairsDataset.CLASSES);
        plain.backward(g);
        deformable.backward(g);
        List<Parameter> shared = deformable.parameters().stream()
                .filter(q -> !q.name().contains(".offset.")).toList();
        List<Parameter> plainParams = plain.parameters();
        assertEquals(plainParams.size(), shared.size());
        for (int i = 0; i < shared.size(); i++) {
            assertEquals(plainParams.get(i).name(), shared.get(i).name());
            assertArrayEquals(plainParams.get(i).value(), shared.get(i).value(), 0.0, shared.get(i).name());
            assertArrayEquals(plainParams.get(i).grad(), shared.get(i).grad(), 0.0, shared.get(i).name() + " grad");
        }
    }

    /** A handful of SGD steps on one batch lower its loss, for both forms, and move the offsets off zero. */
    @Test
    void aShortTrainingRunReducesTheLoss() {
        List<PairsDataset.Sample> batch = PairsDataset.generate(16, 5);
        for (boolean deformable : new boolean[] {false, true}) {
            PairsNet net = new PairsNet(backend, deformable, 3, 1.0);
            Sgd sgd = new Sgd(net.parameters(), 0.05, 0.9, 0, TrainDemo.MAX_GRAD_NORM);
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 12; step++) {
                double[] p = HostOps.softmax(net.forward(images(batch), batch.size()), batch.size(),
                        PairsDataset.CLASSES);
                last = HostOps.crossEntropy(p, labels(batch), PairsDataset.CLASSES);
                if (step == 0) first = last;
                sgd.zeroGrad();
                net.backward(HostOps.crossEntropyBackward(p, labels(batch), PairsDataset.CLASSES));
                sgd.step();
            }
            assertTrue(last < 0.8 * first, (deformable ? "deformable" : "plain") + ": loss " + first + " -> " + last);
            if (deformable) {
                double moved = 0;
                for (double v : net.deformableConv3().lastOffsets()) moved = Math.max(moved, Math.abs(v));
                assertTrue(moved > 0.01, "conv3 offsets stayed at zero: max |offset| = " + moved);
            }
        }
    }

    /** Same seed, same everything: two runs of the demonstration print and return the same. */
    @Test
    void theDemonstrationIsDeterministicForASeed() throws Exception {
        TrainDemo.Options options = TrainDemo.Options.defaults().withEpochs(1).withSizes(32, 16).withSeed(4);
        String[] logs = new String[2];
        TrainDemo.Result[] results = new TrainDemo.Result[2];
        for (int run = 0; run < 2; run++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            results[run] = TrainDemo.run(backend, options, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            // Per-epoch times differ between runs; everything else must not.
            logs[run] = bytes.toString(StandardCharsets.UTF_8).replaceAll("\\(\\d+\\.\\d s\\)", "");
        }
        assertEquals(logs[0], logs[1]);
        assertEquals(results[0].plainAccuracy(), results[1].plainAccuracy());
        assertEquals(results[0].deformableAccuracy(), results[1].deformableAccuracy());
        assertEquals(results[0].dilationSmall(), results[1].dilationSmall());
        assertEquals(results[0].dilationLarge(), results[1].dilationLarge());
        assertTrue(logs[0].contains("epoch 1/1 deformable"), logs[0]);
    }

    /** The data are what the task says: balanced classes and sizes, each large pair farther apart than the plain receptive field. */
    @Test
    void theDatasetIsBalancedAndLargePairsOutgrowThePlainReceptiveField() {
        List<PairsDataset.Sample> data = PairsDataset.generate(64, 8);
        int[][] counts = new int[2][PairsDataset.CLASSES];
        for (PairsDataset.Sample s : data) {
            counts[s.large() ? 1 : 0][s.label()]++;
            double[] box = s.box();
            assertTrue(box[0] >= 0 && box[1] >= 0 && box[2] <= PairsDataset.SIZE - 1 && box[3] <= PairsDataset.SIZE - 1,
                    "object inside the image");
            if (s.large()) {
                double extent = Math.max(box[2] - box[0], box[3] - box[1]);
                assertTrue(extent > 11 + 4, "a large pair spans more than the plain 11-pixel field: " + extent);
            }
        }
        for (int[] row : counts) {
            for (int c : row) assertEquals(8, c);
        }
    }
}
