package dcn4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DType;
import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link HalfPrecision} against an independent oracle: the exact value of a double (BigDecimal)
 * rounded to nearest-even among every finite value of the 16-bit format, found by enumeration.
 */
class HalfPrecisionTest {

    /** The value of each of the 65536 patterns of {@code dtype}, widened exactly. */
    private static double[] all(DType dtype) {
        double[] v = new double[65536];
        for (int b = 0; b < 65536; b++) v[b] = HalfPrecision.toFloat(dtype, (short) b);
        return v;
    }

    /** Correct rounding of {@code x} to {@code dtype}, by comparing exact distances to the two neighbours. */
    private static double oracle(DType dtype, double x) {
        double max = dtype == DType.F16 ? 65504 : Float.intBitsToFloat(0x7F7F0000);
        double ulpAtMax = dtype == DType.F16 ? 32 : 0x1p120;
        // Past max + half an ulp (the tie goes to even, i.e. infinity) the result is infinite.
        if (Math.abs(x) >= max + ulpAtMax / 2) return Math.copySign(Double.POSITIVE_INFINITY, x);
        double lo = Double.NEGATIVE_INFINITY, hi = Double.POSITIVE_INFINITY;
        short loBits = 0, hiBits = 0;
        double[] values = all(dtype);
        for (int b = 0; b < 65536; b++) {
            double v = values[b];
            if (Double.isNaN(v) || Double.isInfinite(v)) continue;
            if (v <= x && v > lo) {
                lo = v;
                loBits = (short) b;
            }
            if (v >= x && v < hi) {
                hi = v;
                hiBits = (short) b;
            }
        }
        if (lo == hi) return lo == 0 ? Math.copySign(0.0, x) : lo;
        BigDecimal bx = new BigDecimal(x), dl = bx.subtract(new BigDecimal(lo)), dh = new BigDecimal(hi).subtract(bx);
        int c = dl.compareTo(dh);
        double r = c < 0 ? lo : c > 0 ? hi : ((loBits & 1) == 0 ? lo : hi);
        return r == 0 ? Math.copySign(0.0, x) : r;
    }

    @Test
    void widensEveryPatternExactlyAndRoundTrips() {
        for (DType d : new DType[] {DType.F16, DType.BF16}) {
            for (int b = 0; b < 65536; b++) {
                float f = HalfPrecision.toFloat(d, (short) b);
                if (Float.isNaN(f)) continue;
                assertEquals((short) b, HalfPrecision.fromFloat(d, f), d + " pattern " + Integer.toHexString(b));
                assertEquals((short) b, HalfPrecision.fromDouble(d, f), d + " pattern " + Integer.toHexString(b));
            }
        }
        assertEquals(1.0f, HalfPrecision.bf16ToFloat((short) 0x3F80));
        assertEquals(-1.5f, HalfPrecision.bf16ToFloat((short) 0xBFC0));
    }

    @Test
    void roundsDoublesOnceToNearestEven() {
        SplittableRandom r = new SplittableRandom(7);
        for (DType d : new DType[] {DType.F16, DType.BF16}) {
            double[] values = all(d);
            for (int i = 0; i < 400; i++) {
                // Random values, and exact midpoints between neighbours (ties), each nudged by one double ulp.
                double x;
                int b = r.nextInt(0x7C00);
                double a = values[b], next = values[b + 1];
                if (Double.isInfinite(next) || Double.isNaN(next) || Double.isNaN(a)) continue;
                double mid = (a + next) / 2;
                x = switch (i % 4) {
                    case 0 -> r.nextDouble(-2, 2) * Math.scalb(1.0, d == DType.F16 ? r.nextInt(-30, 16)
                            : r.nextInt(-140, 128));
                    case 1 -> mid;
                    case 2 -> Math.nextUp(mid);
                    default -> Math.nextDown(mid);
                };
                double want = oracle(d, x);
                double got = HalfPrecision.toFloat(d, HalfPrecision.fromDouble(d, x));
                assertEquals(want, got, 0.0, d + " rounding of " + x);
            }
        }
    }

    @Test
    void doubleRoundingThroughFloatIsAvoided() {
        // 1 + 2^-11 + 2^-40: just above the F16 midpoint between 1 and 1 + 2^-10. Rounding to float first
        // gives exactly the midpoint, which then ties to even (1.0): wrong. Round-to-odd keeps it above.
        double x = 1 + 0x1p-11 + 0x1p-40;
        assertEquals(1.0f, Float.float16ToFloat(Float.floatToFloat16((float) x)), "the naive double rounding");
        assertEquals(1 + 0x1p-10, HalfPrecision.round(DType.F16, x), 0.0);
        double y = 1 + 0x1p-8 + 0x1p-40; // the same for bfloat16 (8-bit significand)
        assertEquals(1 + 0x1p-7, HalfPrecision.round(DType.BF16, y), 0.0);
    }

    @Test
    void overflowAndNaN() {
        assertEquals(Double.POSITIVE_INFINITY, HalfPrecision.round(DType.F16, 65520.0));  // the tie goes to "even" inf
        assertEquals(65504.0, HalfPrecision.round(DType.F16, 65519.99));
        assertEquals(Double.NEGATIVE_INFINITY, HalfPrecision.round(DType.BF16, -1e39));
        assertEquals(Double.POSITIVE_INFINITY, HalfPrecision.round(DType.F16, 1e300));
        assertTrue(Double.isNaN(HalfPrecision.round(DType.F16, Double.NaN)));
        assertTrue(Double.isNaN(HalfPrecision.round(DType.BF16, Double.NaN)));
        assertEquals((short) 0xFFC0, HalfPrecision.floatToBf16(Float.intBitsToFloat(0xFF800001)), "quiet, sign kept");
        assertEquals(0x1p-24, HalfPrecision.round(DType.F16, 0x1p-25 + 0x1p-60), 0.0, "subnormal, above the tie");
        assertEquals(0.0, HalfPrecision.round(DType.F16, 0x1p-25), 0.0, "tie to even zero");
    }

    @Test
    void sixteenBitTypesAreTwoBytes() {
        assertEquals(2, DType.F16.bytes());
        assertEquals(2, DType.BF16.bytes());
        assertTrue(DType.F16.isSixteenBit() && DType.BF16.isSixteenBit() && !DType.F32.isSixteenBit());
        assertEquals(0x1p-11, HalfPrecision.unitRoundoff(DType.F16));
        assertEquals(0x1p-8, HalfPrecision.unitRoundoff(DType.BF16));
    }
}
