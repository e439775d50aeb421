package dcn4j.vector;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.HalfPrecision;
import dcn4j.spi.HostBuffers;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A host tensor of the vector backend, never written after construction: float32 storage for
 * {@link DType#F32}, 16-bit patterns for {@link DType#F16} and {@link DType#BF16}.
 *
 * <p>An operator's float32 output may hand its storage to the backend's {@link ArrayRecycler} when closed
 * (DESIGN.md "Output recycling"). So that no one ever reads an array that a later output is writing, every
 * read of the storage {@linkplain #hold() holds} the tensor, and {@link #close()} hands the array over only
 * when the last hold is released.
 */
final class VectorTensor implements Tensor {

    private final int[] shape;
    private final DType dtype;
    private volatile float[] data;
    private volatile short[] bits;
    /** Where the float32 storage goes when closed and no longer held; {@code null}: to the garbage collector. */
    private final ArrayRecycler recycler;
    /** Reads of the storage in progress (guarded by this). */
    private int holds;
    /** The storage of a closed tensor still held, recycled at the last release (guarded by this). */
    private float[] retired;
    /**
     * Packed forms of this tensor (weights in a GEMM panel layout), keyed by layout: computed once, since
     * the tensor never changes, and released with it (on {@link #close()} or when it becomes unreachable).
     * At most {@link #MAX_PACKED} are kept (forward and backward layouts); another one evicts the oldest.
     */
    private Object[] packedKeys = new Object[0];
    private float[][] packedForms = new float[0][];
    static final int MAX_PACKED = 2;

    /** An F32 tensor wrapping {@code values} (taken over, not copied) after checking it matches {@code shape}. */
    VectorTensor(int[] shape, float[] values) {
        this(shape, values, null);
    }

    /** As {@link #VectorTensor(int[], float[])}; closing it gives {@code values} to {@code recycler} (if not null). */
    VectorTensor(int[] shape, float[] values, ArrayRecycler recycler) {
        Checks.elementCount(shape, values.length);
        this.shape = shape.clone();
        this.dtype = DType.F32;
        this.data = values;
        this.recycler = recycler;
    }

    /** A 16-bit tensor of {@code dtype} wrapping the patterns {@code values} (taken over, not copied). */
    VectorTensor(DType dtype, int[] shape, short[] values) {
        Checks.elementCount(shape, values.length);
        this.shape = shape.clone();
        this.dtype = dtype;
        this.bits = values;
        this.recycler = null;
    }

    /**
     * The float32 storage itself, read-only by convention; throws when closed. Unheld: only for tests and
     * for a tensor the caller has not yet handed out. Reads use {@link #hold()}.
     */
    float[] data() {
        float[] d = data;
        if (d == null) throw closed();
        return d;
    }

    /**
     * The float32 storage, held until {@link #release()}: a {@link #close()} meanwhile makes the tensor
     * unusable at once but recycles the storage only after the last release. Throws when closed.
     */
    float[] hold() {
        synchronized (this) {
            if (data == null) throw closed();
            holds++;
            return data;
        }
    }

    /** Ends one {@link #hold()}. */
    void release() {
        float[] give;
        synchronized (this) {
            if (--holds > 0 || retired == null) return;
            give = retired;
            retired = null;
        }
        recycler.give(give);
    }

    /** {@code reader} applied to the float32 storage, {@linkplain #hold() held} meanwhile. Throws when closed. */
    <T> T read(Function<float[], T> reader) {
        float[] f = hold();
        try {
            return reader.apply(f);
        } finally {
            release();
        }
    }

    private IllegalStateException closed() {
        return new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed"
                + (dtype == DType.F32 ? "" : " or not F32"));
    }

    /** The 16-bit storage itself, read-only by convention; throws when closed. */
    short[] bits() {
        short[] b = bits;
        if (b == null) throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed");
        return b;
    }

    /**
     * The packed form of this tensor for {@code key}: {@code pack} applied to the storage on first use
     * (outside the lock; two threads racing compute the same values and one result is kept).
     */
    float[] packed(Object key, Function<float[], float[]> pack) {
        synchronized (this) {
            for (int i = 0; i < packedKeys.length; i++) if (packedKeys[i].equals(key)) return packedForms[i];
        }
        float[] made = read(pack);
        synchronized (this) {
            if (data == null) throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed");
            for (int i = 0; i < packedKeys.length; i++) if (packedKeys[i].equals(key)) return packedForms[i];
            int keep = Math.min(packedKeys.length, MAX_PACKED - 1);
            Object[] keys = new Object[keep + 1];
            float[][] forms = new float[keep + 1][];
            System.arraycopy(packedKeys, packedKeys.length - keep, keys, 0, keep);
            System.arraycopy(packedForms, packedForms.length - keep, forms, 0, keep);
            keys[keep] = key;
            forms[keep] = made;
            packedKeys = keys;
            packedForms = forms;
            return made;
        }
    }

    /** Packed forms held (for tests). */
    synchronized int packedCount() {
        return packedKeys.length;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public String backendName() {
        return VectorProvider.NAME;
    }

    @Override
    public double[] toDoubleArray() {
        if (dtype == DType.F32) {
            return read(f -> {
                double[] d = new double[f.length];
                for (int i = 0; i < d.length; i++) d[i] = f[i];
                return d;
            });
        }
        short[] s = bits();
        double[] d = new double[s.length];
        for (int i = 0; i < d.length; i++) d[i] = HalfPrecision.toFloat(dtype, s[i]);
        return d;
    }

    @Override
    public float[] toFloatArray() {
        if (dtype != DType.F32) return HostBuffers.widen(dtype, bits());
        return read(float[]::clone);
    }

    @Override
    public void copyTo(FloatBuffer dst) {
        HostBuffers.checkDestination("dst", dst, elementCount());
        if (dtype == DType.F32) {
            read(f -> dst.put(dst.position(), f));
        } else {
            short[] s = bits();
            int p = dst.position();
            for (int i = 0; i < s.length; i++) dst.put(p + i, HalfPrecision.toFloat(dtype, s[i]));
        }
    }

    @Override
    public void copyTo(ShortBuffer dst) {
        HostBuffers.checkSixteenBit("dst", dtype);
        HostBuffers.checkDestination("dst", dst, elementCount());
        dst.put(dst.position(), bits());
    }

    @Override
    public void copyTo(ByteBuffer dst) {
        HostBuffers.checkDestination("dst", dst, elementCount() * dtype.bytes());
        if (dtype != DType.F32) {
            HostBuffers.putShorts(dst, bits());
            return;
        }
        read(f -> {
            HostBuffers.putFloats(dst, f);
            return dst;
        });
    }

    @Override
    public void close() {
        bits = null;
        float[] give = null;
        synchronized (this) {
            if (data != null && recycler != null) {
                if (holds == 0) give = data;
                else retired = data;
            }
            data = null;
            packedKeys = new Object[0];
            packedForms = new float[0][];
        }
        if (give != null) recycler.give(give);
    }

    @Override
    public String toString() {
        return "VectorTensor" + Arrays.toString(shape) + " " + dtype;
    }
}
