package dcn4j.conformance;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import java.util.Arrays;

/** A float32 host tensor of a {@link MutantBackend}. */
final class MutantTensor implements Tensor {

    private final String backend;
    private final int[] shape;
    private float[] data;

    MutantTensor(String backend, int[] shape, float[] data) {
        Checks.elementCount(shape, data.length);
        this.backend = backend;
        this.shape = shape.clone();
        this.data = data;
    }

    float[] data() {
        if (data == null) throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed");
        return data;
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
        return backend;
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
}
