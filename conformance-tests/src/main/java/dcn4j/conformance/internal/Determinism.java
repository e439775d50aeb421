package dcn4j.conformance.internal;

import dcn4j.conformance.Verification;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Property 7: a call repeated, and the same call made from {@value #THREADS} threads at once (on
 * shared argument tensors), gives bit-identical results. A backend that races on a shared
 * accumulator, or whose reductions depend on scheduling, fails this.
 */
public final class Determinism {

    public static final int THREADS = 4;
    private static final int REPEATS = 3;

    private Determinism() {
    }

    /** {@code run} returns every output of one call (forward output, then gradients). */
    public static void check(RuleContext v, Callable<List<double[]>> run) throws Exception {
        List<double[]> first = run.call();
        double worst = 0;
        for (int i = 0; i < REPEATS; i++) worst = Math.max(worst, difference(first, run.call()));
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<List<double[]>>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    List<List<double[]>> results = new ArrayList<>();
                    for (int i = 0; i < REPEATS; i++) results.add(run.call());
                    return results;
                }));
            }
            start.countDown();
            for (Future<List<List<double[]>>> f : futures) {
                for (List<double[]> r : f.get(10, TimeUnit.MINUTES)) worst = Math.max(worst, difference(first, r));
            }
        } finally {
            pool.shutdownNow();
        }
        v.expectWithin("largest difference between repeated or concurrent results", worst, 0);
    }

    /** The largest difference between corresponding elements; {@code +∞} if any bit pattern differs without one. */
    private static double difference(List<double[]> a, List<double[]> b) {
        if (a.size() != b.size()) return Double.POSITIVE_INFINITY;
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            double[] x = a.get(i), y = b.get(i);
            if (x == null || y == null) {
                if (x != y) return Double.POSITIVE_INFINITY;
                continue;
            }
            if (x.length != y.length) return Double.POSITIVE_INFINITY;
            for (int j = 0; j < x.length; j++) {
                if (Double.doubleToRawLongBits(x[j]) != Double.doubleToRawLongBits(y[j])) {
                    double d = Math.abs(x[j] - y[j]);
                    worst = Math.max(worst, Double.isNaN(d) || d == 0 ? Double.MIN_VALUE : d);
                }
            }
        }
        return worst;
    }
}
