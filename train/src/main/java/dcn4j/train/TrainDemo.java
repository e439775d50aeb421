package dcn4j.train;

import dcn4j.Backend;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code dcn4j train}: learned offsets end to end (paper section 2.3) and the paper's analysis
 * (section 4, Table 2 and Figures 5-7) on a small synthetic task, {@link PairsDataset}. Trains
 * {@link PairsNet} twice with the same seed, data order, epochs and optimiser, once plain and once
 * with deformable conv2/conv3, then measures test accuracy and the effective dilation of the
 * learned sampling per object size.
 *
 * <p>Training recipe, identical for both forms: mini-batches of {@code batchSize}, softmax
 * cross-entropy, {@link Sgd} with momentum 0.9, weight decay 1e-4 and the global gradient norm
 * clipped to 1; the rate warms up linearly over the first 2 epochs (as the official Deformable
 * ConvNets configurations do) and drops to a tenth for the last quarter of the epochs. The offset
 * branches learn at {@code beta = 1} times the rate (the paper's default for conv layers).
 */
public final class TrainDemo {

    static final double MOMENTUM = 0.9;
    static final double WEIGHT_DECAY = 1e-4;
    /** Global gradient-norm clip (see {@link Sgd}); the same for both forms. */
    static final double MAX_GRAD_NORM = 1.0;
    static final int WARMUP_EPOCHS = 2;

    /**
     * @param epochs             passes over the training set
     * @param seed               seeds the data, the weights and the data order
     * @param out                folder for the pictures, or {@code null} for none
     * @param trainSize          training images (half small, half large)
     * @param testSize           test images
     * @param batchSize          images per step
     * @param learningRate       SGD base rate (momentum 0.9)
     * @param offsetLrMultiplier beta of the offset branches (paper: 1)
     */
    public record Options(int epochs, long seed, Path out, int trainSize, int testSize, int batchSize,
                          double learningRate, double offsetLrMultiplier) {

        public Options {
            if (epochs < 1) throw new IllegalArgumentException("epochs: expected >= 1, got " + epochs);
            if (trainSize < 1) throw new IllegalArgumentException("trainSize: expected >= 1, got " + trainSize);
            if (testSize < 2) throw new IllegalArgumentException("testSize: expected >= 2, got " + testSize);
            if (batchSize < 1) throw new IllegalArgumentException("batchSize: expected >= 1, got " + batchSize);
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("learningRate: expected > 0, got " + learningRate);
            }
            if (!(offsetLrMultiplier >= 0)) {
                throw new IllegalArgumentException("offsetLrMultiplier: expected >= 0, got " + offsetLrMultiplier);
            }
        }

        /** The defaults of {@code dcn4j train}. */
        public static Options defaults() {
            return new Options(DEFAULT_EPOCHS, 1, null, 768, 512, 16, 0.05, 1.0);
        }

        public Options withEpochs(int e) {
            return new Options(e, seed, out, trainSize, testSize, batchSize, learningRate, offsetLrMultiplier);
        }

        public Options withSeed(long s) {
            return new Options(epochs, s, out, trainSize, testSize, batchSize, learningRate, offsetLrMultiplier);
        }

        public Options withOut(Path dir) {
            return new Options(epochs, seed, dir, trainSize, testSize, batchSize, learningRate, offsetLrMultiplier);
        }

        public Options withSizes(int train, int test) {
            return new Options(epochs, seed, out, train, test, batchSize, learningRate, offsetLrMultiplier);
        }

        public Options withLearningRate(double lr) {
            return new Options(epochs, seed, out, trainSize, testSize, batchSize, lr, offsetLrMultiplier);
        }

        public Options withOffsetLrMultiplier(double beta) {
            return new Options(epochs, seed, out, trainSize, testSize, batchSize, learningRate, beta);
        }
    }

    /** Epochs of {@code dcn4j train} when {@code --epochs} is not given. */
    public static final int DEFAULT_EPOCHS = 20;

    /**
     * What a run measured.
     *
     * @param plainAccuracy        test accuracy of the plain network
     * @param deformableAccuracy   test accuracy of the deformable network
     * @param plainBySize          plain accuracy on {small, large} test objects
     * @param deformableBySize     deformable accuracy on {small, large} test objects
     * @param dilationSmall        mean effective dilation (input pixels) of conv3 over small objects
     * @param dilationLarge        the same over large objects
     * @param dilationBackground   the same over the activation units outside every object box
     * @param plainDilation        effective dilation of the plain conv3 (its fixed grid), for comparison
     * @param pictures             the files written under {@code out}
     * @param seconds              wall time of the whole run
     */
    public record Result(double plainAccuracy, double deformableAccuracy, double[] plainBySize,
                         double[] deformableBySize, double dilationSmall, double dilationLarge,
                         double dilationBackground, double plainDilation, List<Path> pictures, double seconds) {
    }

    private TrainDemo() {
    }

    /** Runs the demonstration on {@code backend}, printing one progress line per epoch to {@code log}. */
    public static Result run(Backend backend, Options options, PrintStream log) throws IOException {
        long start = System.nanoTime();
        List<PairsDataset.Sample> train = PairsDataset.generate(options.trainSize(), options.seed() * 1_000_003L + 1);
        List<PairsDataset.Sample> test = PairsDataset.generate(options.testSize(), options.seed() * 1_000_003L + 2);
        log.printf(Locale.ROOT, "task: direction of a pair of dots, %d classes, %dx%d images, %d train / %d test, small and large;"
                        + " backend %s%n", PairsDataset.CLASSES, PairsDataset.SIZE, PairsDataset.SIZE, train.size(),
                test.size(), backend.name());

        PairsNet plain = new PairsNet(backend, false, options.seed(), options.offsetLrMultiplier());
        train(plain, "plain", train, options, log);
        Evaluation plainEval = Evaluation.of(plain, test, options.batchSize());

        PairsNet deformable = new PairsNet(backend, true, options.seed(), options.offsetLrMultiplier());
        train(deformable, "deformable", train, options, log);
        Evaluation defEval = Evaluation.of(deformable, test, options.batchSize());

        List<Path> pictures = new ArrayList<>();
        if (options.out() != null) pictures.addAll(Pictures.write(options.out(), test, defEval));
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(plainEval.accuracy(), defEval.accuracy(), plainEval.accuracyBySize(),
                defEval.accuracyBySize(), defEval.meanDilation(false), defEval.meanDilation(true),
                defEval.backgroundDilation(), PairsNet.STRIDE, List.copyOf(pictures), seconds);
    }

    /** Mean training loss of the last epoch. */
    static double train(PairsNet net, String label, List<PairsDataset.Sample> data, Options options, PrintStream log) {
        Sgd sgd = new Sgd(net.parameters(), options.learningRate(), MOMENTUM, WEIGHT_DECAY, MAX_GRAD_NORM);
        // The same data order for both forms: the shuffle depends on the seed only.
        Random order = new Random(options.seed() * 7_919L + 3);
        int n = data.size(), bs = options.batchSize(), pixels = PairsDataset.SIZE * PairsDataset.SIZE;
        double lastLoss = Double.NaN;
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long t0 = System.nanoTime();
            // Step schedule: a tenth of the rate for the last quarter of the epochs.
            if (epoch == options.epochs() - options.epochs() / 4 + 1 && options.epochs() >= 4) {
                sgd.setLearningRate(options.learningRate() / 10);
            }
            int[] perm = permutation(n, order);
            double lossSum = 0;
            int correct = 0;
            for (int b = 0; b < n; b += bs) {
                int m = Math.min(bs, n - b);
                if (epoch <= WARMUP_EPOCHS) {
                    // Linear warm-up, as the official Deformable ConvNets configurations do (warmup_lr,
                    // warmup_step): the first large steps otherwise throw offsets out of the image.
                    double done = ((epoch - 1) * (double) n + b + m) / (WARMUP_EPOCHS * (double) n);
                    sgd.setLearningRate(options.learningRate() * done);
                }
                double[] images = new double[m * pixels];
                int[] labels = new int[m];
                for (int i = 0; i < m; i++) {
                    PairsDataset.Sample s = data.get(perm[b + i]);
                    System.arraycopy(s.image(), 0, images, i * pixels, pixels);
                    labels[i] = s.label();
                }
                double[] p = HostOps.softmax(net.forward(images, m), m, PairsDataset.CLASSES);
                lossSum += HostOps.crossEntropy(p, labels, PairsDataset.CLASSES) * m;
                for (int i = 0; i < m; i++) {
                    if (HostOps.argmax(p, i * PairsDataset.CLASSES, PairsDataset.CLASSES) == labels[i]) correct++;
                }
                sgd.zeroGrad();
                net.backward(HostOps.crossEntropyBackward(p, labels, PairsDataset.CLASSES));
                sgd.step();
            }
            lastLoss = lossSum / n;
            log.printf(Locale.ROOT, "epoch %d/%d %-10s loss=%.4f train-acc=%.3f (%.1f s)%n", epoch, options.epochs(), label,
                    lastLoss, (double) correct / n, (System.nanoTime() - t0) / 1e9);
        }
        return lastLoss;
    }

    private static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
