package dcn4j.onnxruntime;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import java.util.Arrays;

/** A host tensor of the {@code onnxruntime} backend: float32 storage, never written after construction. */
final class OnnxRuntimeTensor implements Tensor {

    private final int[] shape;
    private volatile float[] data;

    /** Wraps {@code values} (taken over, not copied) after checking it matches {@code shape}. */
    OnnxRuntimeTensor(int[] shape, float[] values) {
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
        return OnnxRuntimeProvider.NAME;
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
        data = null;
    }

    @Override
    public String toString() {
        return "OnnxRuntimeTensor" + Arrays.toString(shape) + " F32";
    }
}
