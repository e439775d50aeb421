package dcn4j.opencl;

import dcn4j.DType;
import dcn4j.Tensor;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * A float32 tensor of the {@code opencl} backend: the elements live in a device buffer, so chained
 * operations never copy through the host; {@link #toFloatArray()} reads them back explicitly.
 * The buffer is released by {@link #close()}, by the backend's close, or, for a tensor dropped
 * without closing, by a {@link Cleaner} once the tensor is unreachable.
 */
final class OpenClTensor implements Tensor {

    private final OpenClBackend backend;
    private final int[] shape;
    private final int count;
    private final ClBuffer buffer;
    private final Cleaner.Cleanable cleanable;

    OpenClTensor(OpenClBackend backend, int[] shape, int count, ClBuffer buffer) {
        this.backend = backend;
        this.shape = shape.clone();
        this.count = count;
        this.buffer = buffer;
        this.cleanable = OpenClBackend.CLEANER.register(this, buffer);
    }

    OpenClBackend backend() {
        return backend;
    }

    /** The device buffer; {@link IllegalStateException} when this tensor or its backend is closed. */
    ClBuffer buffer() {
        if (buffer.isReleased()) {
            throw new IllegalStateException("tensor " + Arrays.toString(shape) + " is closed"
                    + (backend.isClosed() ? " (its opencl backend was closed)" : ""));
        }
        return buffer;
    }

    int count() {
        return count;
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
        return OpenClProvider.NAME;
    }

    @Override
    public long elementCount() {
        return count;
    }

    @Override
    public float[] toFloatArray() {
        return backend.read(this);
    }

    @Override
    public double[] toDoubleArray() {
        float[] f = toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "OpenClTensor" + Arrays.toString(shape) + " F32";
    }
}
