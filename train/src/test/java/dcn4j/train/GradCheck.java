package dcn4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences in float64: the derivative of {@code loss} with respect to each
 * element of {@code values} (perturbed in place and restored), compared with {@code analytic}.
 */
final class GradCheck {

    private GradCheck() {
    }

    /** Step of the central differences: small next to the offsets' distance to a bilinear cell edge. */
    static final double H = 1e-6;

    /**
     * Checks {@code count} elements of {@code values} chosen by {@code rng} (all when {@code count}
     * is at least the length): {@code ||analytic - numeric|| <= tol * ||numeric||} over them, and
     * returns the relative error.
     */
    static double check(String what, double[] values, double[] analytic, DoubleSupplier loss, int count, double tol,
                        Random rng) {
        int n = Math.min(count, values.length);
        int[] idx = new int[n];
        if (n == values.length) {
            for (int i = 0; i < n; i++) idx[i] = i;
        } else {
            for (int i = 0; i < n; i++) idx[i] = rng.nextInt(values.length);
        }
        double diff = 0, norm = 0;
        for (int i : idx) {
            double saved = values[i];
            values[i] = saved + H;
            double up = loss.getAsDouble();
            values[i] = saved - H;
            double down = loss.getAsDouble();
            values[i] = saved;
            double numeric = (up - down) / (2 * H);
            diff += (analytic[i] - numeric) * (analytic[i] - numeric);
            norm += numeric * numeric;
        }
        double rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-300);
        assertTrue(norm > 0, what + ": the checked derivatives are all zero, the check would prove nothing");
        assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol);
        return rel;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double[] gaussian(Random rng, int n, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = std * rng.nextGaussian();
        return v;
    }
}
