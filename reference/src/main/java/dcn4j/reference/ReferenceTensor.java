package dcn4j.reference;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.HalfPrecision;
import dcn4j.spi.HostBuffers;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * A host tensor of the reference backend: float64 storage holding, for an F32, F16 or BF16 tensor,
 * values rounded once to that dtype, so the arithmetic widens them exactly.
 */
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
        if (dtype != DType.F64) {
            for (int i = 0; i < data.length; i++) data[i] = HalfPrecision.round(dtype, data[i]);
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
    public void copyTo(FloatBuffer dst) {
        HostBuffers.checkDestination("dst", dst, elementCount());
        double[] d = data();
        int p = dst.position();
        for (int i = 0; i < d.length; i++) dst.put(p + i, (float) d[i]);
    }

    @Override
    public void copyTo(ShortBuffer dst) {
        HostBuffers.checkSixteenBit("dst", dtype);
        HostBuffers.checkDestination("dst", dst, elementCount());
        double[] d = data();
        int p = dst.position();
        for (int i = 0; i < d.length; i++) dst.put(p + i, HalfPrecision.fromDouble(dtype, d[i]));
    }

    @Override
    public void copyTo(ByteBuffer dst) {
        HostBuffers.checkDestination("dst", dst, elementCount() * dtype.bytes());
        HostBuffers.put(dst, dtype, data());
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
