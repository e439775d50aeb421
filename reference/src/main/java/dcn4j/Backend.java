package dcn4j;

import dcn4j.spi.HostBuffers;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Set;

/**
 * One implementation of dcn4j's operators: the scalar {@code reference}, the {@code vector} CPU
 * backend, or {@code opencl}. Obtain one from {@link Backends}; close it when done (it may hold a
 * device context and worker threads).
 *
 * <p>Every operation validates its arguments before touching any storage and throws
 * {@link IllegalArgumentException} naming the argument, the expected and the actual value
 * (DESIGN.md "Errors"); it never writes into its arguments. Optional arguments are {@code null}.
 *
 * <p>Semantics are defined by DESIGN.md "Semantics"; the reference backend is the oracle.
 */
public interface Backend extends AutoCloseable {

    /** The provider name, e.g. {@code "vector"}. */
    String name();

    /** A human-readable description of where this backend computes (CPU, device name). */
    String description();

    /** The element type this backend computes in natively: {@code F64} for the reference, else {@code F32}. */
    DType nativeDType();

    /**
     * Whether tensors of {@code dtype} are accepted by the operations. Every backend of dcn4j supports
     * {@link DType#F16} and {@link DType#BF16} (DESIGN.md "16-bit tensors").
     */
    boolean supports(DType dtype);

    /**
     * A tensor of {@code dtype} holding {@code data} (row-major) with the given shape, each value
     * rounded once to {@code dtype} (to nearest, ties to even). The array is copied, once.
     */
    Tensor tensor(DType dtype, int[] shape, double[] data);

    /**
     * A tensor of {@code dtype} holding {@code data} (row-major) with the given shape, each value
     * rounded to {@code dtype} (exact for F32 and F64). The array is copied, once.
     */
    Tensor tensor(DType dtype, int[] shape, float[] data);

    /**
     * A tensor of {@code dtype} holding the float values {@code data} has remaining (from its position
     * to its limit; the position is left unchanged), rounded to {@code dtype}. The values are copied
     * once, straight from the buffer, where the backend can (README "From Java"): a heap buffer or a
     * direct one in native byte order, such as another framework's memory.
     *
     * @throws IllegalArgumentException when the remaining count does not match {@code shape}
     */
    default Tensor tensor(DType dtype, int[] shape, FloatBuffer data) {
        return tensor(dtype, shape, HostBuffers.floats(data));
    }

    /**
     * An {@link DType#F16} or {@link DType#BF16} tensor holding the 16-bit patterns {@code bits} has
     * remaining (position unchanged), copied once where the backend can.
     *
     * @throws IllegalArgumentException for another dtype or a count that does not match {@code shape}
     */
    default Tensor tensor(DType dtype, int[] shape, ShortBuffer bits) {
        HostBuffers.checkSixteenBit("dtype", dtype);
        return tensor(dtype, shape, HostBuffers.widen(dtype, HostBuffers.shorts(bits)));
    }

    /**
     * A tensor of {@code dtype} holding the raw elements {@code data} has remaining: each one
     * {@link DType#bytes()} bytes in {@code dtype}'s encoding, in the buffer's byte order (position
     * unchanged). Copied once where the backend can; this is how a {@code .npy} file or a native
     * framework's buffer reaches a backend without a conversion on the Java heap.
     *
     * @throws IllegalArgumentException when the remaining bytes are not {@code count * dtype.bytes()}
     */
    default Tensor tensor(DType dtype, int[] shape, ByteBuffer data) {
        return tensor(dtype, shape, HostBuffers.doubles(dtype, data));
    }

    /** A tensor in {@link #nativeDType()}. */
    default Tensor tensor(int[] shape, double[] data) {
        return tensor(nativeDType(), shape, data);
    }

    /** A tensor in {@link #nativeDType()}. */
    default Tensor tensor(int[] shape, float[] data) {
        return tensor(nativeDType(), shape, data);
    }

    /**
     * Deformable convolution 2D, forward (paper eq. 2; modulated when {@code mask} is given).
     *
     * @param input  {@code [N, C, H, W]}
     * @param offset {@code [N, 2*offsetGroups*kh*kw, Ho, Wo]} as (dy, dx) pairs, or {@code null} for
     *               plain (possibly dilated) convolution
     * @param mask   {@code [N, offsetGroups*kh*kw, Ho, Wo]} or {@code null} (DCNv1)
     * @param weight {@code [O, C/groups, kh, kw]}
     * @param bias   {@code [O]} or {@code null}
     * @return {@code [N, O, Ho, Wo]}
     */
    Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                        Tensor bias);

    /**
     * Backward of {@link #deformConv2d}: the gradients in {@code wanted} of the arguments that are
     * present, given the gradient {@code gradOutput} ({@code [N, O, Ho, Wo]}) of the output.
     */
    DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                               Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                               Set<Gradient> wanted);

    /**
     * Deformable (position-sensitive) RoI pooling, forward (paper eq. 5-7), exactly as the official
     * MXNet {@code DeformablePSROIPooling} kernel.
     *
     * @param input  {@code [N, outputDim*groupSize^2, H, W]}
     * @param rois   {@code [R, 5]} rows of {@code (batchIndex, x1, y1, x2, y2)}, image coordinates
     * @param offset {@code [R, 2*numClasses, partSize, partSize]} or {@code null} ({@code no_trans})
     * @return {@code [R, outputDim, pooledSize, pooledSize]}
     */
    Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset);

    /** Backward of {@link #deformPsRoiPool}: gradients for {@code INPUT} and {@code OFFSET} as asked. */
    DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput, Tensor input,
                                                     Tensor rois, Tensor offset, Set<Gradient> wanted);

    /** Releases the backend's resources; tensors it made become unusable. */
    @Override
    void close();
}
