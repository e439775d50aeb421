package dcn4j.opencl;

import dcn4j.DType;
import dcn4j.Tensor;
import dcn4j.spi.HostBuffers;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * A tensor of the {@code opencl} backend (float32, or 16-bit patterns for F16/BF16): the elements live in a device buffer, so chained
 * operations never copy through the host; {@link #toFloatArray()} reads them back explicitly.
 * The buffer is released by {@link #close()}, by the backend's close, or, for a tensor dropped
 * without closing, by a {@link Cleaner} once the tensor is unreachable.
 */
final class OpenClTensor implements Tensor {

    private final OpenClBackend backend;
    private final int[] shape;
    private final DType dtype;
    private final int count;
    private final ClBuffer buffer;
    private final Cleaner.Cleanable cleanable;

    OpenClTensor(OpenClBackend backend, int[] shape, int count, ClBuffer buffer) {
        this(backend, DType.F32, shape, count, buffer);
    }

    OpenClTensor(OpenClBackend backend, DType dtype, int[] shape, int count, ClBuffer buffer) {
        this.backend = backend;
        this.dtype = dtype;
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
        return dtype;
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
        if (dtype == DType.F32) return backend.read(this);
        short[] bits = new short[count];
        backend.readInto(this, ShortBuffer.wrap(bits));
        return HostBuffers.widen(dtype, bits);
    }

    @Override
    public void copyTo(FloatBuffer dst) {
        HostBuffers.checkDestination("dst", dst, count);
        if (dtype == DType.F32 && HostBuffers.transferableInPlace(dst)) {
            backend.readInto(this, dst);
        } else {
            dst.put(dst.position(), toFloatArray());
        }
    }

    @Override
    public void copyTo(ShortBuffer dst) {
        HostBuffers.checkSixteenBit("dst", dtype);
        HostBuffers.checkDestination("dst", dst, count);
        if (HostBuffers.transferableInPlace(dst)) {
            backend.readInto(this, dst);
        } else {
            short[] bits = new short[count];
            backend.readInto(this, ShortBuffer.wrap(bits));
            dst.put(dst.position(), bits);
        }
    }

    @Override
    public void copyTo(ByteBuffer dst) {
        HostBuffers.checkDestination("dst", dst, (long) count * dtype.bytes());
        if (HostBuffers.transferableInPlace(dst)) {
            backend.readInto(this, dst);
        } else if (dtype == DType.F32) {
            HostBuffers.putFloats(dst, backend.read(this));
        } else {
            short[] bits = new short[count];
            backend.readInto(this, ShortBuffer.wrap(bits));
            HostBuffers.putShorts(dst, bits);
        }
    }

    @Override
    public double[] toDoubleArray() {
        float[] f = toFloatArray(); // F16/BF16 widened exactly
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
        return "OpenClTensor" + Arrays.toString(shape) + " " + dtype;
    }
}
