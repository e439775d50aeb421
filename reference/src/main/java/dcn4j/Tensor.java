package dcn4j;

import dcn4j.spi.HostBuffers;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A dense, contiguous, row-major (NCHW) array whose storage is owned by the {@link Backend} that
 * created it: host memory for the CPU backends, a device buffer for OpenCL. A tensor is only
 * accepted by the backend that made it; reading it back to the host is explicit.
 *
 * <p>Tensors are immutable from the API's point of view: no operation writes into its arguments.
 * {@link #close()} releases the storage early (device memory); a closed tensor may not be used.
 */
public interface Tensor extends AutoCloseable {

    /** The shape, outermost dimension first (a fresh copy). */
    int[] shape();

    /** The element type. */
    DType dtype();

    /** The name of the backend that owns the storage. */
    String backendName();

    /** Number of elements: the product of the shape (1 for a scalar of rank 0). */
    default long elementCount() {
        long n = 1;
        for (int d : shape()) n *= d;
        return n;
    }

    /** Rank: the number of dimensions. */
    default int rank() {
        return shape().length;
    }

    /** Copies the elements to a new host array, widening F32, F16 and BF16 exactly. */
    double[] toDoubleArray();

    /** Copies the elements to a new host array, widening F16 and BF16 exactly, rounding F64 to nearest. */
    float[] toFloatArray();

    /**
     * Copies the elements, as {@link #toFloatArray()} converts them, into {@code dst} from its
     * position on, without an intermediate array where the backend can (README "From Java"); the
     * position of {@code dst} is left unchanged. {@code dst} may wrap a caller's array or be direct.
     *
     * @throws IllegalArgumentException when {@code dst} is read-only or has fewer than
     *                                  {@link #elementCount()} elements remaining; nothing is written then
     */
    default void copyTo(FloatBuffer dst) {
        HostBuffers.checkDestination("dst", dst, elementCount());
        dst.put(dst.position(), toFloatArray());
    }

    /**
     * Copies the 16-bit patterns of an {@link DType#F16} or {@link DType#BF16} tensor into {@code dst}
     * from its position on (position unchanged), without an intermediate array where the backend can.
     *
     * @throws IllegalArgumentException for another dtype, a read-only {@code dst} or one with too few
     *                                  elements remaining; nothing is written then
     */
    default void copyTo(ShortBuffer dst) {
        HostBuffers.checkSixteenBit("dst", dtype());
        HostBuffers.checkDestination("dst", dst, elementCount());
        dst.put(dst.position(), HostBuffers.bits(dtype(), toFloatArray()));
    }

    /**
     * Copies the elements in their own dtype ({@link DType#bytes()} bytes each, in the byte order of
     * {@code dst}) into {@code dst} from its position on (position unchanged), without an
     * intermediate array where the backend can.
     *
     * @throws IllegalArgumentException when {@code dst} is read-only or has fewer than
     *                                  {@code elementCount() * dtype().bytes()} bytes remaining
     */
    default void copyTo(ByteBuffer dst) {
        HostBuffers.checkDestination("dst", dst, elementCount() * dtype().bytes());
        HostBuffers.put(dst, dtype(), toDoubleArray());
    }

    /** Releases the storage; further use throws {@link IllegalStateException}. Idempotent. */
    @Override
    void close();
}
