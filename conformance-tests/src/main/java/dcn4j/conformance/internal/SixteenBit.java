package dcn4j.conformance.internal;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.conformance.Tolerances;
import dcn4j.spi.HalfPrecision;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * What the 16-bit rules (conv13, pool12) share: the dtypes drawn, the inputs rounded to them, and the
 * error bound derived in DESIGN.md "16-bit tensors".
 *
 * <p>A backend computes a 16-bit call on the 16-bit values widened exactly, in float32 (or better),
 * and rounds each result once. Against the float64 reference on the same widened values, the error
 * is the float32 computation's (bounded by the F32 rule's tolerance {@code τ32} relative to the
 * floored norm {@code D}) plus the final rounding: {@code |round(v) − v| ≤ u·|v|} in the normal range
 * ({@code u = 2^-11} F16, {@code 2^-8} BF16) and {@code ≤ h} below it ({@code h = 2^-25} F16). So
 * {@code ‖ŷ − y‖ ≤ τ32·D + u·(‖y‖ + τ32·D) + h·√n} and, with {@code ‖y‖ ≤ D},
 * {@code ‖ŷ − y‖ / D ≤ τ32 + u·(1 + τ32) + h·√n / D}.
 */
public final class SixteenBit {

    private SixteenBit() {
    }

    /** F16 and BF16, each half the tries. */
    public static Arbitrary<DType> dtypes() {
        return Arbitraries.of(DType.F16, DType.BF16);
    }

    /** Every value rounded to {@code dtype} (what a tensor of that dtype holds), {@code null} stays null. */
    public static double[] round(DType dtype, double[] v) {
        if (v == null) return null;
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = HalfPrecision.round(dtype, v[i]);
        return r;
    }

    /** The same rounded to float, for the RoI geometry checks (16-bit values are floats). */
    public static float[] floats(double[] v) {
        if (v == null) return null;
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    /**
     * The bound of the class comment for a result whose reference is {@code expected}, with
     * magnitudes {@code magnitude} (the floor of {@link Tolerances#relativeError(double[], double[], double[])}).
     */
    public static double tolerance(DType dtype, double float32Tolerance, double[] expected, double[] magnitude) {
        double norm = 0, mag = 0;
        int n = 0;
        for (int i = 0; i < expected.length; i++) {
            if (!Double.isFinite(expected[i])) continue;
            norm += expected[i] * expected[i];
            if (magnitude != null) mag += magnitude[i] * magnitude[i];
            n++;
        }
        double d = Math.max(Math.sqrt(norm), Tolerances.CANCELLATION_FLOOR * Math.sqrt(mag));
        double u = HalfPrecision.unitRoundoff(dtype), h = HalfPrecision.subnormalHalfSpacing(dtype);
        double subnormal = h * Math.sqrt(n);
        // D = 0: relativeError is then the absolute norm, bounded by the subnormal term alone.
        return float32Tolerance + u * (1 + float32Tolerance) + (d > 0 ? subnormal / d : subnormal);
    }

    /**
     * The bound for a replayed 16-bit case: {@link #tolerance} for the backend's result, plus, when
     * the expected array was itself rounded to {@code dtype} (e.g. torch's float64 result stored as
     * {@code <f2}), that rounding's own {@code u·‖y‖ + h·√n}: {@code τ32 + u·(2 + τ32) + 2h·√n / D}.
     */
    public static double replayTolerance(DType dtype, double float32Tolerance, double[] expected, double[] magnitude,
                                  boolean expectedRounded) {
        double t = tolerance(dtype, float32Tolerance, expected, magnitude);
        if (!expectedRounded) return t;
        return t + (tolerance(dtype, 0, expected, magnitude));
    }

    /**
     * Fails unless {@code t} has the inputs' dtype ("results in the dtype of the inputs") and every
     * value it reads back is representable in it (a float32 result merely labelled 16-bit fails).
     */
    public static double[] readBack(String what, Tensor t, DType dtype, String backend) {
        if (t.dtype() != dtype) {
            throw new AssertionError(what + " on backend '" + backend + "': expected dtype " + dtype
                    + " (as the inputs), got " + t.dtype());
        }
        double[] v = t.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isNaN(v[i]) && HalfPrecision.round(dtype, v[i]) != v[i]) {
                throw new AssertionError(String.format(Locale.ROOT, "%s on backend '%s': element %d = %s is not a %s "
                        + "value (not rounded to the dtype)", what, backend, i, v[i], dtype));
            }
        }
        return v;
    }
}
