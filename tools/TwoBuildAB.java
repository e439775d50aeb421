import dcn4j.Backend;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.lang.reflect.Constructor;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Two builds of the vector backend in one JVM, switched per call (benchmarks/README.md section 10): on a shared
 * machine whose speed changes from minute to minute, the only comparison of two versions that held up (RESULTS.md,
 * tenth and eleventh passes). Each build's {@code dcn4j/vector} classes come from their own class loader over the
 * shared API ({@code reference/target/classes}); both get the same operands; the forward outputs (and with
 * {@code -Dbackward=true} every gradient) are compared bit for bit, then {@code pairs} pairs of calls are timed
 * in alternating order after a 5 s warm-up, and the median of the pairs' ratios (new/old) is printed with its
 * quartiles, then each build's mean and 75th and 90th percentile call times.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp reference/target/classes tools/TwoBuildAB.java \
 *     OLD_CLASSES NEW_CLASSES THREADS PAIRS N,C,H,W,O[,MASK] ...
 * </pre>
 * {@code OLD_CLASSES}/{@code NEW_CLASSES}: folders holding {@code dcn4j/vector/*.class} (a build's
 * {@code vector-backend/target/classes}, copied aside); {@code MASK} 0 drops the mask; 3x3, pad 1, offsets in [-2, 2].
 */
public final class TwoBuildAB {
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: TwoBuildAB OLD_CLASSES NEW_CLASSES THREADS PAIRS N,C,H,W,O[,MASK] ...");
            System.exit(2);
        }
        int threads = Integer.parseInt(args[2]), pairs = Integer.parseInt(args[3]);
        boolean backward = Boolean.getBoolean("backward");
        Backend[] bs = new Backend[2];
        for (int v = 0; v < 2; v++) {
            ClassLoader l = new URLClassLoader(new URL[] {Path.of(args[v]).toUri().toURL()},
                    TwoBuildAB.class.getClassLoader());
            Constructor<?> k = l.loadClass("dcn4j.vector.VectorBackend").getDeclaredConstructor(int.class);
            k.setAccessible(true);
            bs[v] = (Backend) k.newInstance(threads);
        }
        for (int a = 4; a < args.length; a++) {
            int[] s = Arrays.stream(args[a].split(",")).mapToInt(Integer::parseInt).toArray();
            int n = s[0], c = s[1], h = s[2], w = s[3], o = s[4];
            boolean withMask = s.length < 6 || s[5] == 1;
            SplittableRandom r = new SplittableRandom(5);
            DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
            float[] x = random(r, n * c * h * w, 1), wt = random(r, o * c * 9, 0.1), off = random(r, n * 18 * h * w, 2);
            float[] m = random(r, n * 9 * h * w, 1), go = random(r, n * o * h * w, 1);
            Tensor[][] t = new Tensor[2][];
            for (int v = 0; v < 2; v++) {
                t[v] = new Tensor[] {bs[v].tensor(new int[] {n, c, h, w}, x), bs[v].tensor(new int[] {n, 18, h, w}, off),
                        withMask ? bs[v].tensor(new int[] {n, 9, h, w}, m) : null, bs[v].tensor(new int[] {o, c, 3, 3}, wt),
                        bs[v].tensor(new int[] {n, o, h, w}, go)};
            }
            boolean same = Arrays.deepEquals(results(bs[0], spec, t[0], backward), results(bs[1], spec, t[1], backward));
            long warm = System.nanoTime() + 5_000_000_000L;
            for (int i = 0; System.nanoTime() < warm; i++) call(bs[i & 1], spec, t[i & 1], backward);
            double[] ratio = new double[pairs], old = new double[pairs], neu = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                long[] ns = new long[2];
                for (int k = 0; k < 2; k++) {
                    int v = (p + k) & 1;
                    long t0 = System.nanoTime();
                    call(bs[v], spec, t[v], backward);
                    ns[v] = System.nanoTime() - t0;
                }
                old[p] = ns[0] / 1e6;
                neu[p] = ns[1] / 1e6;
                ratio[p] = (double) ns[1] / ns[0];
            }
            Arrays.sort(ratio);
            Arrays.sort(old);
            Arrays.sort(neu);
            System.out.printf(Locale.ROOT, "%-24s %s, %d threads: old %.2f ms, new %.2f ms, new/old median %.3f "
                            + "[quartiles %.3f %.3f], %s%n", args[a] + (withMask ? "" : " (no mask)"),
                    backward ? "forward + backward" : "forward", threads, old[pairs / 2], neu[pairs / 2],
                    ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4],
                    same ? "same bits" : "RESULTS DIFFER");
            // Calls slowed by another process move the means and the upper percentiles, not the medians: a change
            // that only helps such calls (a finer split of a phase's last items) shows there.
            double meanOld = Arrays.stream(old).average().orElse(0), meanNew = Arrays.stream(neu).average().orElse(0);
            System.out.printf(Locale.ROOT, "%-24s   means old %.2f ms, new %.2f ms (%.3f); 75th percentile %.2f / %.2f; "
                            + "90th %.2f / %.2f%n", "", meanOld, meanNew, meanNew / meanOld, old[3 * pairs / 4],
                    neu[3 * pairs / 4], old[9 * pairs / 10], neu[9 * pairs / 10]);
            for (Tensor[] tv : t) for (Tensor x1 : tv) if (x1 != null) x1.close();
        }
        for (Backend b : bs) b.close();
    }

    private static float[][] results(Backend b, DeformConv2dSpec spec, Tensor[] t, boolean backward) {
        List<float[]> out = new ArrayList<>();
        try (Tensor y = b.deformConv2d(spec, t[0], t[1], t[2], t[3], null)) {
            out.add(y.toFloatArray());
            if (backward) {
                try (DeformConv2dGradients g = b.deformConv2dBackward(spec, t[4], t[0], t[1], t[2], t[3], null,
                        Gradient.all())) {
                    for (Gradient which : Gradient.all()) {
                        Tensor gt = g.get(which);
                        if (gt != null) out.add(gt.toFloatArray());
                    }
                }
            }
        }
        return out.toArray(new float[0][]);
    }

    private static void call(Backend b, DeformConv2dSpec spec, Tensor[] t, boolean backward) {
        try (Tensor y = b.deformConv2d(spec, t[0], t[1], t[2], t[3], null)) {
            if (backward) b.deformConv2dBackward(spec, t[4], t[0], t[1], t[2], t[3], null, Gradient.all()).close();
        }
    }

    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-scale, scale);
        return a;
    }
}
