package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dcn4j.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Comparison of an {@code opencl} result with the reference: the norm-relative error
 * {@code ||got - want|| / ||want||} (DESIGN.md "Conformance suite" 1-2), no NaN where the reference
 * has none, and the same shape. Keeps the worst error per label so tests can report it.
 */
final class Compare {

    /** Forward tolerance (DESIGN.md). */
    static final double FORWARD = 1e-5;
    /** Backward tolerance (DESIGN.md). */
    static final double BACKWARD = 1e-4;

    static final ConcurrentHashMap<String, Double> WORST = new ConcurrentHashMap<>();

    private Compare() {
    }

    static double relativeError(double[] got, double[] want) {
        assertEquals(want.length, got.length, "element count");
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            double d = got[i] - want[i];
            num += d * d;
            den += want[i] * want[i];
        }
        if (den == 0) return Math.sqrt(num); // reference all zero: the absolute error must be ~0 too
        return Math.sqrt(num / den);
    }

    /** Asserts {@code got} (opencl) matches {@code want} (reference) within {@code tolerance}. */
    static double check(String label, String what, Tensor got, Tensor want, double tolerance) {
        if (want == null) {
            assertEquals(null, got, what + ": expected no gradient");
            return 0;
        }
        if (got == null) fail(what + ": missing");
        assertTrue(Arrays.equals(want.shape(), got.shape()), what + ": shape " + Arrays.toString(got.shape())
                + " vs " + Arrays.toString(want.shape()));
        double[] g = got.toDoubleArray(), w = want.toDoubleArray();
        for (int i = 0; i < w.length; i++) {
            if (Double.isNaN(g[i]) && !Double.isNaN(w[i])) {
                fail(label + " " + what + ": NaN at " + i + " where the reference has " + w[i]);
            }
        }
        double e = relativeError(g, w);
        WORST.merge(what, e, Math::max);
        if (!(e <= tolerance)) {
            fail(String.format(Locale.ROOT, "%s %s: relative error %.3e > %.0e", label, what, e, tolerance));
        }
        return e;
    }

    static void assertBitIdentical(String what, float[] a, float[] b) {
        assertEquals(a.length, b.length, what + ": length");
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                fail(what + ": not bit-identical at " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }

    static String report() {
        StringBuilder sb = new StringBuilder("worst relative errors vs reference:");
        WORST.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> sb.append(String.format(Locale.ROOT, " %s=%.2e", e.getKey(), e.getValue())));
        return sb.toString();
    }
}
