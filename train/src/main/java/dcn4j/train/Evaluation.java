package dcn4j.train;

import java.util.Arrays;
import java.util.List;

/**
 * A trained {@link PairsNet} run over the test set: predictions, and for the deformable form the
 * learned offsets of conv2 and conv3 per test image with the effective dilation of conv3
 * (paper Table 2: per object, over the activation units whose centre lies in its bounding box;
 * "background" = the units outside it).
 */
final class Evaluation {

    static final int K = 3;
    private static final int OFFSET_CHANNELS = 2 * K * K;
    private static final int F = PairsNet.FEATURE;

    private final List<PairsDataset.Sample> test;
    private final int[] predictions;
    private final double[][] conv2Offsets;
    private final double[][] conv3Offsets;
    private final double[] objectDilation;
    private final double backgroundDilation;

    private Evaluation(List<PairsDataset.Sample> test, int[] predictions, double[][] conv2Offsets,
                       double[][] conv3Offsets) {
        this.test = test;
        this.predictions = predictions;
        this.conv2Offsets = conv2Offsets;
        this.conv3Offsets = conv3Offsets;
        this.objectDilation = new double[test.size()];
        double bgSum = 0;
        long bgCount = 0;
        if (conv3Offsets != null) {
            for (int n = 0; n < test.size(); n++) {
                double[] box = test.get(n).box();
                double sum = 0;
                int count = 0;
                for (int y = 0; y < F; y++) {
                    for (int x = 0; x < F; x++) {
                        double d = unitDilation(conv3Offsets[n], y, x);
                        if (inside(box, y, x)) {
                            sum += d;
                            count++;
                        } else {
                            bgSum += d;
                            bgCount++;
                        }
                    }
                }
                // A small box may hold no unit centre (units are 2 pixels apart): then its centre unit stands for it.
                int[] c = centreUnit(n);
                objectDilation[n] = count > 0 ? sum / count : unitDilation(conv3Offsets[n], c[0], c[1]);
            }
        }
        this.backgroundDilation = bgCount == 0 ? Double.NaN : bgSum / bgCount;
    }

    /** Runs {@code net} over {@code test} in batches of {@code batchSize}. */
    static Evaluation of(PairsNet net, List<PairsDataset.Sample> test, int batchSize) {
        int n = test.size(), pixels = PairsDataset.SIZE * PairsDataset.SIZE, plane = OFFSET_CHANNELS * F * F;
        int[] predictions = new int[n];
        double[][] off2 = net.deformable() ? new double[n][] : null;
        double[][] off3 = net.deformable() ? new double[n][] : null;
        for (int b = 0; b < n; b += batchSize) {
            int m = Math.min(batchSize, n - b);
            double[] images = new double[m * pixels];
            for (int i = 0; i < m; i++) System.arraycopy(test.get(b + i).image(), 0, images, i * pixels, pixels);
            double[] logits = net.forward(images, m);
            for (int i = 0; i < m; i++) {
                predictions[b + i] = HostOps.argmax(logits, i * PairsDataset.CLASSES, PairsDataset.CLASSES);
            }
            if (net.deformable()) {
                double[] o2 = net.deformableConv2().lastOffsets(), o3 = net.deformableConv3().lastOffsets();
                for (int i = 0; i < m; i++) {
                    off2[b + i] = Arrays.copyOfRange(o2, i * plane, (i + 1) * plane);
                    off3[b + i] = Arrays.copyOfRange(o3, i * plane, (i + 1) * plane);
                }
            }
        }
        return new Evaluation(test, predictions, off2, off3);
    }

    /** Whether unit {@code (y, x)}, centred on input pixel {@code STRIDE*(y, x)}, lies in {@code box}. */
    private static boolean inside(double[] box, int y, int x) {
        double py = PairsNet.STRIDE * y, px = PairsNet.STRIDE * x;
        return py >= box[0] && py <= box[2] && px >= box[1] && px <= box[3];
    }

    /** The conv3 unit nearest the centre of test object {@code n}. */
    int[] centreUnit(int n) {
        PairsDataset.Sample s = test.get(n);
        return new int[] {nearestUnit(s.cy()), nearestUnit(s.cx())};
    }

    static int nearestUnit(double inputCoordinate) {
        return Math.max(0, Math.min(F - 1, (int) Math.round(inputCoordinate / PairsNet.STRIDE)));
    }

    /** Effective dilation of conv3 at unit {@code (y, x)}, in input pixels. */
    private static double unitDilation(double[] offsets, int y, int x) {
        return PairsNet.STRIDE * EffectiveDilation.of(
                EffectiveDilation.samplingPoints(offsets, 0, K, 1, F, F, y, x), K);
    }

    /**
     * Input-pixel sampling locations of conv3's unit {@code (y, x)} on test image {@code n}
     * ({@code [9][2]}), and through conv2 ({@code [81][2]}): for each conv3 location, the sampling
     * locations of the conv2 unit nearest to it (paper Figure 5 shows three such levels).
     */
    double[][][] samplingLevels(int n, int y, int x) {
        double[][] p3 = EffectiveDilation.samplingPoints(conv3Offsets[n], 0, K, 1, F, F, y, x);
        double[][] level3 = new double[K * K][];
        double[][] level2 = new double[K * K * K * K][];
        for (int a = 0; a < p3.length; a++) {
            double qy = y + p3[a][0], qx = x + p3[a][1];
            level3[a] = new double[] {PairsNet.STRIDE * qy, PairsNet.STRIDE * qx};
            int uy = clampUnit((int) Math.round(qy)), ux = clampUnit((int) Math.round(qx));
            double[][] p2 = EffectiveDilation.samplingPoints(conv2Offsets[n], 0, K, 1, F, F, uy, ux);
            for (int b = 0; b < p2.length; b++) {
                level2[a * K * K + b] = new double[] {PairsNet.STRIDE * (uy + p2[b][0]),
                        PairsNet.STRIDE * (ux + p2[b][1])};
            }
        }
        return new double[][][] {level3, level2};
    }

    private static int clampUnit(int u) {
        return Math.max(0, Math.min(F - 1, u));
    }

    double accuracy() {
        int correct = 0;
        for (int n = 0; n < predictions.length; n++) if (predictions[n] == test.get(n).label()) correct++;
        return (double) correct / predictions.length;
    }

    /** {small, large} accuracy. */
    double[] accuracyBySize() {
        int[] correct = new int[2], total = new int[2];
        for (int n = 0; n < predictions.length; n++) {
            int s = test.get(n).large() ? 1 : 0;
            total[s]++;
            if (predictions[n] == test.get(n).label()) correct[s]++;
        }
        return new double[] {(double) correct[0] / total[0], (double) correct[1] / total[1]};
    }

    int prediction(int n) {
        return predictions[n];
    }

    /** Per-object effective dilation of conv3 (input pixels); only for the deformable form. */
    double objectDilation(int n) {
        return objectDilation[n];
    }

    /** Mean per-object effective dilation over the small or large test objects. */
    double meanDilation(boolean large) {
        double sum = 0;
        int count = 0;
        for (int n = 0; n < test.size(); n++) {
            if (test.get(n).large() == large) {
                sum += objectDilation[n];
                count++;
            }
        }
        return sum / count;
    }

    double backgroundDilation() {
        return backgroundDilation;
    }

    /** Effective dilation at the centre unit of object {@code n} (input pixels). */
    double centreDilation(int n) {
        int[] u = centreUnit(n);
        return unitDilation(conv3Offsets[n], u[0], u[1]);
    }
}
