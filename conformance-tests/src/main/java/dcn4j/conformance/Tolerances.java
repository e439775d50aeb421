package dcn4j.conformance;

/**
 * The error bounds of the conformance suite (DESIGN.md "Conformance suite", properties 1-3) and the
 * one error measure they bound: the norm-relative error {@code ‖actual − expected‖₂ / ‖expected‖₂}
 * over a whole tensor.
 */
public final class Tolerances {

    /** Forward outputs: an F32 backend against the F64 reference on the same values (property 1). */
    public static final double FORWARD = 1e-5;

    /** Every gradient, against the reference or against finite differences (properties 2, 3, 5). */
    public static final double BACKWARD = 1e-4;

    /**
     * The smallest denominator of {@link #relativeError(double[], double[], double[])}, as a
     * fraction of the norm of the magnitudes {@code Σ|terms|}.
     */
    public static final double CANCELLATION_FLOOR = 1.0 / 32;

    private Tolerances() {
    }

    /**
     * {@link #relativeError(double[], double[])} whose denominator is at least
     * {@link #CANCELLATION_FLOOR} {@code * ‖magnitude‖₂}, where {@code magnitude[i]} is the sum of the
     * absolute values of the terms that make {@code expected[i]} ({@code null}: no floor). A float
     * sum is only accurate relative to the sum of its terms' magnitudes (Higham, "Accuracy and
     * Stability of Numerical Algorithms", §3.1): when the terms cancel, e.g. a single output element
     * near 0, the plain norm-relative error would blame float rounding. For typical values
     * ({@code ‖expected‖ ≈ ‖magnitude‖/√K} with {@code K ≤ ~1000} terms) the floor is inactive and
     * this is exactly the norm-relative error of DESIGN.md.
     */
    public static double relativeError(double[] actual, double[] expected, double[] magnitude) {
        double plain = relativeError(actual, expected);
        if (magnitude == null || !Double.isFinite(plain) || plain == 0) return plain;
        double diff = 0, norm = 0, mag = 0;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i], e = expected[i];
            if (!Double.isFinite(e)) continue;
            diff += (a - e) * (a - e);
            norm += e * e;
            // A non-finite magnitude (an infinite argument whose term the expected value does not hold) lowers
            // nothing: it would make the floor infinite and any error 0.
            if (Double.isFinite(magnitude[i])) mag += magnitude[i] * magnitude[i];
        }
        double denominator = Math.max(Math.sqrt(norm), CANCELLATION_FLOOR * Math.sqrt(mag));
        return denominator > 0 ? Math.sqrt(diff) / denominator : Math.sqrt(diff);
    }

    /**
     * {@code ‖actual − expected‖₂ / ‖expected‖₂}. A non-finite value in {@code actual} where
     * {@code expected} is finite ("no NaN where the reference has none"), a non-finite value that
     * differs from the expected one, or a length mismatch gives {@code +∞}. When {@code expected} is
     * exactly zero the error is the absolute {@code ‖actual‖₂}: the reference's values are of order
     * one, so this is the same scale.
     */
    public static double relativeError(double[] actual, double[] expected) {
        if (actual.length != expected.length) return Double.POSITIVE_INFINITY;
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i], e = expected[i];
            if (!Double.isFinite(e)) {
                if (Double.compare(a, e) != 0) return Double.POSITIVE_INFINITY;
                continue;
            }
            if (!Double.isFinite(a)) return Double.POSITIVE_INFINITY;
            diff += (a - e) * (a - e);
            norm += e * e;
        }
        return norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
    }
}
