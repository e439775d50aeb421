package dcn4j.io;

import dcn4j.DType;
import java.util.Arrays;

/**
 * A dense row-major (C order) array as stored in a NumPy {@code .npy} file (CASE_FORMAT.md "Arrays").
 *
 * <p>{@code dtype} is the file's element type; the values are held as doubles either way. An
 * {@link DType#F32} array holds only values that a float represents exactly (they were widened from
 * floats), so writing it as {@code <f4} loses nothing; the constructor enforces this.
 *
 * <p>The {@code data} array is not copied (arrays can be large): do not modify it after construction.
 * {@link #equals} compares shape, dtype and every value bit for bit ({@code NaN} equals {@code NaN}).
 *
 * @param shape dimensions, outermost first; {@code []} for a 0-d (scalar) array
 * @param dtype {@code F32} ({@code <f4}) or {@code F64} ({@code <f8})
 * @param data  {@code product(shape)} values in row-major order
 */
public record NpyArray(int[] shape, DType dtype, double[] data) {

    /** Validates shape, dtype and data: {@link IllegalArgumentException} naming the first problem. */
    public NpyArray {
        if (shape == null) throw new IllegalArgumentException("shape: expected an array, got null");
        if (dtype == null) throw new IllegalArgumentException("dtype: expected F32 or F64, got null");
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        shape = shape.clone();
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("data: expected " + n + " values for shape " + Arrays.toString(shape)
                    + ", got " + data.length);
        }
        if (dtype == DType.F32) {
            for (int i = 0; i < data.length; i++) {
                double v = data[i];
                // NaN survives the round trip as NaN (payload aside), which is all .npy readers compare.
                if ((double) (float) v != v && !Double.isNaN(v)) {
                    throw new IllegalArgumentException("data[" + i + "]: expected a value exactly representable "
                            + "as float32 (dtype F32), got " + v + "; round it first or use F64");
                }
            }
        }
    }

    /** An {@code F32} array from floats (widened exactly). */
    public static NpyArray ofFloats(int[] shape, float[] values) {
        if (values == null) throw new IllegalArgumentException("data: expected an array, got null");
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) d[i] = values[i];
        return new NpyArray(shape, DType.F32, d);
    }

    /** An {@code F64} array holding {@code values} (not copied). */
    public static NpyArray ofDoubles(int[] shape, double[] values) {
        return new NpyArray(shape, DType.F64, values);
    }

    /** The shape (a fresh copy). */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a 0-d array). */
    public int size() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray a && dtype == a.dtype && Arrays.equals(shape, a.shape)
                && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(shape) + dtype.hashCode()) + Arrays.hashCode(data);
    }

    /** Shape and dtype only: the values can be millions. */
    @Override
    public String toString() {
        return "NpyArray" + Arrays.toString(shape) + " " + dtype;
    }

    /**
     * The element count of {@code shape}; {@link IllegalArgumentException} for a negative dimension or
     * more elements than a Java array holds.
     */
    static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape: expected dimensions >= 0, got " + Arrays.toString(shape));
            }
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException("shape: expected at most " + MAX_ELEMENTS + " elements, got "
                        + Arrays.toString(shape));
            }
        }
        return n;
    }

    /** The largest array the JVM reliably allocates (as {@code dcn4j.spi.Checks.elementCount}). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
}
