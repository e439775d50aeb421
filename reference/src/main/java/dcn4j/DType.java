package dcn4j;

/**
 * Element type of a {@link Tensor}.
 *
 * <p>The 16-bit types are storage formats: every backend widens them exactly to float32 (or float64
 * in the reference), accumulates in at least float32 and rounds each result once, to nearest even,
 * back to the dtype of the inputs (DESIGN.md "16-bit tensors"). All tensors of one call share one
 * dtype.
 */
public enum DType {
    /** IEEE 754 binary32, numpy {@code <f4}. */
    F32(4),
    /** IEEE 754 binary64, numpy {@code <f8}. */
    F64(8),
    /** IEEE 754 binary16 (half precision: 11-bit significand, 5-bit exponent), numpy {@code <f2}. */
    F16(2),
    /**
     * bfloat16: the upper 16 bits of a binary32 (8-bit significand, float32's exponent range). NumPy
     * has no such dtype; case files store it as {@code <u2} bit patterns (CASE_FORMAT.md).
     */
    BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether this is one of the 16-bit storage types {@link #F16} or {@link #BF16}. */
    public boolean isSixteenBit() {
        return bytes == 2;
    }
}
