package dcn4j;

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

    /** Copies the elements to a new host array, widening F32 exactly. */
    double[] toDoubleArray();

    /** Copies the elements to a new host array, rounding F64 to nearest. */
    float[] toFloatArray();

    /** Releases the storage; further use throws {@link IllegalStateException}. Idempotent. */
    @Override
    void close();
}
