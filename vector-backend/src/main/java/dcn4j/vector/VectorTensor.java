package dcn4j.vector;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import java.util.Arrays;
import java.util.function.Function;

/** A host tensor of the vector backend: float32 storage, never written after construction. */
final class VectorTensor implements Tensor {

    private final int[] shape;
    private volatile float[] data;
    /**
     * Packed forms of this tensor (weights in a GEMM panel layout), keyed by layout: computed once, since
     * the tensor never changes, and released with it (on {@link #close()} or when it becomes unreachable).
     * At most {@link #MAX_PACKED} are kept (forward and backward layouts); another one evicts the oldest.
     */
    private Object[] packedKeys = new Object[0];
    private float[][] packedForms = new float[0][];
    static final int MAX_PACKED = 2;

    /** Wraps {@code values} (taken over, not copied) after checking it matches {@code shape}. */
    VectorTensor(int[] shape, float[] values) {
        Checks.elementCount(shape, values.length);
        this.shape = shape.clone();
        this.data = values;
    }

    /** The storage itself, read-only by convention; throws when closed. */
    float[] data() {
        float[] d = data;
        if (d == null) throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed");
        return d;
    }

    /**
     * The packed form of this tensor for {@code key}: {@code pack} applied to the storage on first use
     * (outside the lock; two threads racing compute the same values and one result is kept).
     */
    float[] packed(Object key, Function<float[], float[]> pack) {
        synchronized (this) {
            for (int i = 0; i < packedKeys.length; i++) if (packedKeys[i].equals(key)) return packedForms[i];
        }
        float[] made = pack.apply(data());
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
        return DType.F32;
    }

    @Override
    public String backendName() {
        return VectorProvider.NAME;
    }

    @Override
    public double[] toDoubleArray() {
        float[] f = data();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Override
    public float[] toFloatArray() {
        return data().clone();
    }

    @Override
    public void close() {
        synchronized (this) {
            data = null;
            packedKeys = new Object[0];
            packedForms = new float[0][];
        }
    }

    @Override
    public String toString() {
        return "VectorTensor" + Arrays.toString(shape) + " F32";
    }
}
