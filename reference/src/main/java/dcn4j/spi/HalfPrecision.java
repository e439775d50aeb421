package dcn4j.spi;

import dcn4j.DType;

/**
 * Conversions between float32/float64 and the 16-bit storage types {@link DType#F16} (IEEE binary16)
 * and {@link DType#BF16} (bfloat16), shared by every backend (DESIGN.md "16-bit tensors").
 *
 * <p>Widening is exact. Narrowing rounds to nearest, ties to even, overflowing to infinity, and keeps
 * NaN a NaN (quiet, same sign). Narrowing a double rounds once: it goes through float32 rounded to
 * odd, which has at least two more significand bits than either 16-bit format, so the final
 * round-to-nearest-even gives the correctly rounded result (Boldo and Melquiond, "Emulation of FMA
 * and correctly rounded sums: proved algorithms using rounding to odd", IEEE TC 2008).
 */
public final class HalfPrecision {

    private HalfPrecision() {
    }

    /** The float value of the 16-bit pattern {@code bits} of {@code dtype} (exact). */
    public static float toFloat(DType dtype, short bits) {
        return dtype == DType.BF16 ? bf16ToFloat(bits) : Float.float16ToFloat(bits);
    }

    /** {@code value} rounded to {@code dtype} (F16 or BF16), as its 16-bit pattern. */
    public static short fromFloat(DType dtype, float value) {
        return dtype == DType.BF16 ? floatToBf16(value) : Float.floatToFloat16(value);
    }

    /** {@code value} rounded once to {@code dtype} (F16 or BF16), as its 16-bit pattern. */
    public static short fromDouble(DType dtype, double value) {
        return fromFloat(dtype, toFloatRoundToOdd(value));
    }

    /**
     * {@code value} rounded to {@code dtype} and widened back: what a tensor of {@code dtype} holds
     * for it. {@code F32} rounds to float, {@code F64} returns {@code value}.
     */
    public static double round(DType dtype, double value) {
        return switch (dtype) {
            case F64 -> value;
            case F32 -> (float) value;
            case F16, BF16 -> toFloat(dtype, fromDouble(dtype, value));
        };
    }

    /** The float value of bfloat16 {@code bits}: they are the upper half of a binary32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** {@code value} rounded to nearest-even bfloat16; NaN stays a quiet NaN of the same sign. */
    public static short floatToBf16(float value) {
        int b = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) return (short) ((b >>> 16) | 0x0040);
        // Adding 0x7FFF plus the kept lowest bit rounds to nearest, ties to even; a carry into the
        // exponent is right (it is the next binade, or infinity past the largest finite value).
        b += 0x7FFF + ((b >>> 16) & 1);
        return (short) (b >>> 16);
    }

    /**
     * {@code value} rounded to float32 with "round to odd": truncated toward zero, then the last
     * significand bit set when the truncation was inexact. Exact values, infinities and NaN pass
     * unchanged; magnitudes above {@code Float.MAX_VALUE} give {@code ±Float.MAX_VALUE}, which any
     * 16-bit rounding takes to infinity as the direct rounding would.
     */
    static float toFloatRoundToOdd(double value) {
        float f = (float) value;
        if ((double) f == value || Double.isNaN(value) || Double.isInfinite(value)) return f;
        if (Math.abs((double) f) > Math.abs(value)) f = Math.nextAfter(f, 0.0);
        return Float.intBitsToFloat(Float.floatToRawIntBits(f) | 1);
    }

    /** Widens {@code n} 16-bit patterns of {@code dtype} from {@code src[srcPos..]} into {@code dst[dstPos..]}. */
    public static void widen(DType dtype, short[] src, int srcPos, float[] dst, int dstPos, int n) {
        if (dtype == DType.BF16) {
            for (int i = 0; i < n; i++) dst[dstPos + i] = bf16ToFloat(src[srcPos + i]);
        } else {
            for (int i = 0; i < n; i++) dst[dstPos + i] = Float.float16ToFloat(src[srcPos + i]);
        }
    }

    /** Rounds {@code n} floats of {@code src[srcPos..]} to {@code dtype} into {@code dst[dstPos..]}. */
    public static void narrow(DType dtype, float[] src, int srcPos, short[] dst, int dstPos, int n) {
        if (dtype == DType.BF16) {
            for (int i = 0; i < n; i++) dst[dstPos + i] = floatToBf16(src[srcPos + i]);
        } else {
            for (int i = 0; i < n; i++) dst[dstPos + i] = Float.floatToFloat16(src[srcPos + i]);
        }
    }

    /**
     * Unit roundoff of {@code dtype}: the largest relative error of rounding a value in its normal
     * range to nearest, half an ulp relative, {@code 2^-p} for a {@code p}-bit significand.
     */
    public static double unitRoundoff(DType dtype) {
        return switch (dtype) {
            case F16 -> 0x1p-11;
            case BF16 -> 0x1p-8;
            case F32 -> 0x1p-24;
            case F64 -> 0x1p-53;
        };
    }

    /**
     * Half the spacing of {@code dtype}'s subnormal numbers: the absolute error bound of rounding a
     * value below its smallest normal number ({@code 2^-25} for F16).
     */
    public static double subnormalHalfSpacing(DType dtype) {
        return switch (dtype) {
            case F16 -> 0x1p-25;
            case BF16 -> 0x1p-134;
            case F32 -> 0x1p-150;
            case F64 -> Double.MIN_VALUE / 2;
        };
    }
}
