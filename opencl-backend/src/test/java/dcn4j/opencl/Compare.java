package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dcn4j.Tensor;
import dcn4j.conformance.Tolerances;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bookkeeping of the {@code opencl} tests' comparisons with the reference: the errors are the
 * conformance suite's own ({@link dcn4j.conformance.ReferenceErrors} for suite cases,
 * {@link Tolerances#relativeError(double[], double[])} otherwise); keeps the worst error per label
 * so tests can report it, and checks bit-identity.
 */
final class Compare {

    static final ConcurrentHashMap<String, Double> WORST = new ConcurrentHashMap<>();

    private Compare() {
    }

    /** Records {@code error} (the suite's measure) under {@code what} and fails when it exceeds {@code tolerance}. */
    static double check(String label, String what, double error, double tolerance) {
        WORST.merge(what, error, Math::max);
        if (!(error <= tolerance)) {
            fail(String.format(Locale.ROOT, "%s %s: relative error %.3e > %.0e", label, what, error, tolerance));
        }
        return error;
    }

    /**
     * Asserts {@code got} (opencl) matches {@code want} (reference) within {@code tolerance}: same
     * shape, no NaN where the reference has none, {@link Tolerances#relativeError(double[], double[])}.
     */
    static double check(String label, String what, Tensor got, Tensor want, double tolerance) {
        if (want == null) {
            assertEquals(null, got, what + ": expected no gradient");
            return 0;
        }
        if (got == null) fail(what + ": missing");
        assertTrue(Arrays.equals(want.shape(), got.shape()), what + ": shape " + Arrays.toString(got.shape())
                + " vs " + Arrays.toString(want.shape()));
        return check(label, what, Tolerances.relativeError(got.toDoubleArray(), want.toDoubleArray()), tolerance);
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
