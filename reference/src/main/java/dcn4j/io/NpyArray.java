package dcn4j.io;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.HalfPrecision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense row-major (C order) array as stored in a NumPy {@code .npy} file (CASE_FORMAT.md "Arrays").
 *
 * <p>{@code dtype} is the file's element type: {@code F64} ({@code <f8}), {@code F32} ({@code <f4}),
 * {@code F16} ({@code <f2}) or {@code BF16} ({@code <u2} bit patterns). An array holds only values its
 * dtype represents exactly; the constructor enforces this. {@code F64} arrays keep their values in a
 * {@code double[]}; the others keep the file's raw little-endian bytes (off the Java heap when read by
 * {@link Npy#read}), so that {@link #toTensor} hands them to a backend in one copy, with no
 * {@code double[]} in between (a float32 file costs no more heap than the tensor made from it).
 *
 * <p>Arrays given to a constructor are not copied (they can be large): do not modify them afterwards.
 * {@link #equals} compares shape, dtype and every value bit for bit ({@code NaN} equals {@code NaN}).
 */
public final class NpyArray {

    private final int[] shape;
    private final DType dtype;
    /** The values of an F64 array, else {@code null}. */
    private final double[] doubles;
    /** The little-endian elements of an F32/F16/BF16 array (position 0, read-only), else {@code null}. */
    private final ByteBuffer raw;

    /**
     * An array of {@code dtype} holding {@code data} (not copied for F64; encoded for the others).
     *
     * @param shape dimensions, outermost first; {@code []} for a 0-d (scalar) array
     * @param dtype {@code F64}, {@code F32}, {@code F16} or {@code BF16}
     * @param data  {@code product(shape)} values in row-major order, each exactly representable in {@code dtype}
     * @throws IllegalArgumentException naming the first problem
     */
    public NpyArray(int[] shape, DType dtype, double[] data) {
        if (shape == null) throw new IllegalArgumentException("shape: expected an array, got null");
        if (dtype == null) throw new IllegalArgumentException("dtype: expected F32, F64, F16 or BF16, got null");
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        this.shape = shape.clone();
        this.dtype = dtype;
        checkCount(this.shape, data.length);
        if (dtype != DType.F64) checkRepresentable(dtype, data);
        if (dtype == DType.F64 || (long) data.length * dtype.bytes() > MAX_BUFFER_BYTES) {
            this.doubles = data;
            this.raw = null;
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(data.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : data) {
            if (dtype == DType.F32) b.putFloat((float) v);
            else b.putShort(HalfPrecision.fromDouble(dtype, v));
        }
        this.doubles = null;
        this.raw = b.flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Largest raw storage a {@link ByteBuffer} holds; larger arrays keep doubles. */
    static final long MAX_BUFFER_BYTES = Integer.MAX_VALUE - 8;

    private static void checkRepresentable(DType dtype, double[] data) {
        for (int i = 0; i < data.length; i++) {
            double v = data[i];
            // NaN survives the round trip as NaN (payload aside), which is all .npy readers compare.
            if (HalfPrecision.round(dtype, v) != v && !Double.isNaN(v)) {
                throw new IllegalArgumentException("data[" + i + "]: expected a value exactly representable "
                        + "as " + describe(dtype) + " (dtype " + dtype + "), got " + v + "; round it first or use F64");
            }
        }
    }

    private NpyArray(int[] shape, DType dtype, ByteBuffer raw) {
        this.shape = shape.clone();
        this.dtype = dtype;
        this.doubles = null;
        this.raw = raw.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** An {@code F32} array holding {@code values}. */
    public static NpyArray ofFloats(int[] shape, float[] values) {
        if (shape == null) throw new IllegalArgumentException("shape: expected an array, got null");
        if (values == null) throw new IllegalArgumentException("data: expected an array, got null");
        checkCount(shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new NpyArray(shape, DType.F32, b);
    }

    /** An {@code F64} array holding {@code values} (not copied). */
    public static NpyArray ofDoubles(int[] shape, double[] values) {
        return new NpyArray(shape, DType.F64, values);
    }

    /** An {@code F16} or {@code BF16} array holding the 16-bit patterns {@code bits}. */
    public static NpyArray ofBits(int[] shape, DType dtype, short[] bits) {
        if (shape == null) throw new IllegalArgumentException("shape: expected an array, got null");
        if (dtype == null || !dtype.isSixteenBit()) {
            throw new IllegalArgumentException("dtype: expected F16 or BF16, got " + dtype);
        }
        if (bits == null) throw new IllegalArgumentException("bits: expected an array, got null");
        checkCount(shape, bits.length);
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(bits);
        return new NpyArray(shape, dtype, b);
    }

    /**
     * An array over {@code raw}, little-endian elements of {@code dtype} (F32, F16 or BF16) from
     * position 0 to the limit, exactly {@code product(shape)} of them (checked by the caller).
     */
    static NpyArray ofRaw(int[] shape, DType dtype, ByteBuffer raw) {
        return new NpyArray(shape, dtype, raw);
    }

    /** The shape (a fresh copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** The element type of the file: {@code <f8}, {@code <f4}, {@code <f2} or {@code <u2} (bfloat16 bits). */
    public DType dtype() {
        return dtype;
    }

    /**
     * The values as doubles (widened exactly). For an F64 array this is its storage (do not modify);
     * for the others usually a new array of {@code size()} doubles, allocated on each call: prefer
     * {@link #toTensor} for large arrays.
     */
    public double[] data() {
        if (doubles != null) return doubles;
        int n = size();
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = dtype == DType.F32 ? raw.getFloat(4 * i) : HalfPrecision.toFloat(dtype, raw.getShort(2 * i));
        }
        return d;
    }

    /**
     * The elements in the file's encoding ({@link DType#bytes()} each, little-endian), as a read-only
     * view from position 0; for F64 a new buffer.
     */
    public ByteBuffer rawData() {
        if (raw != null) return raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long bytes = (long) doubles.length * dtype.bytes();
        if (bytes > MAX_BUFFER_BYTES) {
            throw new IllegalStateException("array " + this + ": " + bytes + " bytes do not fit one ByteBuffer");
        }
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : doubles) {
            switch (dtype) {
                case F64 -> b.putDouble(v);
                case F32 -> b.putFloat((float) v);
                case F16, BF16 -> b.putShort(HalfPrecision.fromDouble(dtype, v));
            }
        }
        return b.flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A tensor of {@code dtype} on {@code backend} holding these values (rounded to {@code dtype} when
     * it is narrower than the file's), made straight from the stored elements: a float32 file
     * becomes an F32 tensor in one copy, without a {@code double[]} (README "From Java").
     */
    public Tensor toTensor(Backend backend, DType dtype) {
        if (backend == null) throw new IllegalArgumentException("backend: expected a Backend, got null");
        if (dtype == null) throw new IllegalArgumentException("dtype: expected F32, F64, F16 or BF16, got null");
        if (doubles != null) return backend.tensor(dtype, shape, doubles);
        if (dtype == this.dtype) return backend.tensor(dtype, shape, rawData());
        if (this.dtype == DType.F32) return backend.tensor(dtype, shape, rawData().asFloatBuffer());
        if (dtype == DType.F32 || dtype == DType.F64) {
            // 16-bit values widen exactly to float: one float[] (half the size of doubles)
            float[] f = new float[size()];
            for (int i = 0; i < f.length; i++) f[i] = HalfPrecision.toFloat(this.dtype, raw.getShort(2 * i));
            return backend.tensor(dtype, shape, f);
        }
        return backend.tensor(dtype, shape, data());
    }

    /** Number of elements: the product of the shape (1 for a 0-d array). */
    public int size() {
        return doubles != null ? doubles.length : raw.limit() / dtype.bytes();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NpyArray a) || dtype != a.dtype || !Arrays.equals(shape, a.shape)) return false;
        if (raw != null && a.raw != null) return raw.equals(a.raw) || Arrays.equals(data(), a.data());
        return Arrays.equals(data(), a.data());
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(shape) + dtype.hashCode()) + Arrays.hashCode(data());
    }

    /** Shape and dtype only: the values can be millions. */
    @Override
    public String toString() {
        return "NpyArray" + Arrays.toString(shape) + " " + dtype;
    }

    private static String describe(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F64 -> "float64";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        };
    }

    private static void checkCount(int[] shape, int length) {
        long n = elementCount(shape);
        if (n != length) {
            throw new IllegalArgumentException("data: expected " + n + " values for shape " + Arrays.toString(shape)
                    + ", got " + length);
        }
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
