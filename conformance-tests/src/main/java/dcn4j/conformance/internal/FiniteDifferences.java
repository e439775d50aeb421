package dcn4j.conformance.internal;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Central finite differences of a scalar loss, for property 3. Both operators are piecewise
 * polynomial in each argument and exactly linear along one offset coordinate inside one bilinear
 * cell, so a central difference is exact up to rounding unless a cell edge, the image border, a
 * skip edge or a clamp lies within the step. Such a kink shows as one-sided differences that
 * disagree; those coordinates are left out (DESIGN.md: "samples kept away from cell edges, image
 * borders and pooling clamps").
 */
public final class FiniteDifferences {

    /**
     * Numeric and analytic derivatives of the coordinates that were checked, how many were left out, and the
     * rounding {@code noise} of each numeric derivative ({@link #slopeNoise}).
     */
    public record Comparison(double[] numeric, double[] analytic, int leftOut, double noise) {

        /**
         * {@code ‖analytic − numeric‖₂ / ‖numeric‖₂}, the denominator floored at {@code √k · noise / tolerance}
         * ({@code k} coordinates): a difference within the numeric side's rounding passes at {@code tolerance},
         * any larger one is measured as before. Without the floor a derivative that is 0 (the analytic side
         * {@code ±1e-18}, the numeric one the loss's rounding over the step, {@code ~1e-12}) is 100% off: a
         * position-sensitive RoI case with a one-row image and zero offsets failed so at a seed of 3000 tries.
         * Non-finite values give {@code +∞}, as {@link dcn4j.conformance.Tolerances#relativeError}.
         */
        public double error(double tolerance) {
            double diff = 0, norm = 0;
            for (int i = 0; i < numeric.length; i++) {
                double a = analytic[i], n = numeric[i];
                if (!Double.isFinite(a) || !Double.isFinite(n)) return Double.POSITIVE_INFINITY;
                diff += (a - n) * (a - n);
                norm += n * n;
            }
            double floor = Math.sqrt(numeric.length) * noise / tolerance;
            double denominator = Math.max(Math.sqrt(norm), floor);
            return denominator > 0 ? Math.sqrt(diff) / denominator : Math.sqrt(diff);
        }
    }

    /**
     * The rounding of a one-sided or central difference with {@code step}: a float64 loss of a few hundred terms of
     * order 1 rounds by ~1e-12 at most, so a slope by ~1e-12/step.
     */
    public static double slopeNoise(double step) {
        return 1e-12 / Math.abs(step);
    }

    private FiniteDifferences() {
    }

    /**
     * Compares {@code analytic} with central differences of {@code loss} at {@code x} on at most
     * {@code maxCoordinates} coordinates chosen by {@code random}.
     */
    public static Comparison compare(double[] x, double[] analytic, ToDoubleFunction<double[]> loss, double step,
                              int maxCoordinates, SplittableRandom random) {
        return compare(x, analytic, loss, step, maxCoordinates, random, i -> false);
    }

    /**
     * {@link #compare} leaving out, besides detected kinks, the coordinates {@code nearKink} names: a kink
     * closer than the loss's rounding can show (a sample within 1e-6 of a cell edge) is not detected by
     * one-sided differences, yet makes the central difference meaningless.
     */
    public static Comparison compare(double[] x, double[] analytic, ToDoubleFunction<double[]> loss, double step,
                              int maxCoordinates, SplittableRandom random, java.util.function.IntPredicate nearKink) {
        int[] coords = pick(x.length, maxCoordinates, random);
        double l0 = loss.applyAsDouble(x);
        double[] num = new double[coords.length], ana = new double[coords.length];
        int kept = 0, leftOut = 0;
        for (int i : coords) {
            if (nearKink.test(i)) {
                leftOut++;
                continue;
            }
            double[] plus = x.clone(), minus = x.clone();
            plus[i] += step;
            minus[i] -= step;
            double lp = loss.applyAsDouble(plus), lm = loss.applyAsDouble(minus);
            double right = (lp - l0) / step, left = (l0 - lm) / step;
            if (Math.abs(right - left) > 1e-6 * (Math.abs(right) + Math.abs(left)) + slopeNoise(step)) {
                leftOut++;
                continue;
            }
            num[kept] = (lp - lm) / (2 * step);
            ana[kept] = analytic[i];
            kept++;
        }
        return new Comparison(Arrays.copyOf(num, kept), Arrays.copyOf(ana, kept), leftOut, slopeNoise(step));
    }

    /**
     * Fails when a whole case compared nothing although it tried: every coordinate of every gradient
     * sat on a kink. Single gradients may legitimately be all kinks (zero offsets put every sample
     * on an integer coordinate), but the data gradients are linear and never are.
     */
    public static void requireSomethingCompared(int compared, int leftOut) {
        if (compared == 0 && leftOut > 0) {
            throw new AssertionError("finite differences: all " + leftOut
                    + " coordinates tried sit on a kink (cell, clamp or skip edge); nothing was compared");
        }
    }

    private static int[] pick(int n, int max, SplittableRandom r) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        if (n <= max) return all;
        for (int i = 0; i < max; i++) {
            int j = i + r.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, max);
    }

    /** {@code Σ a_i b_i}. */
    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    public static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }
}
