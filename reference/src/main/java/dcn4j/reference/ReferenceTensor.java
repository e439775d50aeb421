package dcn4j.reference;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import java.util.Arrays;

/** A host tensor of the reference backend: float64 storage, values of an F32 tensor rounded to float. */
final class ReferenceTensor implements Tensor {

    private final int[] shape;
    private final DType dtype;
    private final ReferenceBackend owner;
    private volatile double[] data;

    ReferenceTensor(ReferenceBackend owner, DType dtype, int[] shape, double[] values) {
        Checks.elementCount(shape, values.length);
        this.owner = owner;
        this.shape = shape.clone();
        this.dtype = dtype;
        this.data = values;
        if (dtype == DType.F32) {
            for (int i = 0; i < data.length; i++) data[i] = (float) data[i];
        }
    }

    /** The storage itself, read-only by convention; throws when this tensor or its backend is closed. */
    double[] data() {
        double[] d = data;
        if (d == null) throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed");
        owner.requireOpen();
        return d;
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
        return ReferenceProvider.NAME;
    }

    @Override
    public double[] toDoubleArray() {
        return data().clone();
    }

    @Override
    public float[] toFloatArray() {
        double[] d = data();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Override
    public void close() {
        data = null;
    }

    @Override
    public String toString() {
        return "ReferenceTensor" + Arrays.toString(shape) + " " + dtype;
    }
}
