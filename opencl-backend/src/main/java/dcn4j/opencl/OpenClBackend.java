package dcn4j.opencl;

import dcn4j.Backend;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.spi.Checks;
import dcn4j.spi.DeformConv2dShape;
import dcn4j.spi.DeformPsRoiPoolShape;
import dcn4j.spi.HalfPrecision;
import dcn4j.spi.HostBuffers;
import dcn4j.spi.WidenedCalls;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.jocl.Pointer;

/**
 * The {@code opencl} backend on one device: tensors and the operators. The OpenCL side (context,
 * queue, programs, buffers and their lifetime, kernel calls) is the {@link ClRuntime}; argument
 * checking and the order of kernels of each operator family live in {@link OpenClDeformConv2d}
 * and {@link OpenClDeformPsRoiPool}; the arithmetic lives in the kernels.
 *
 * <p>Thread safety: operations run one at a time on the runtime's queue, so concurrent callers
 * compute exactly what they would alone; closing a tensor or the backend while another thread's
 * operation uses it is safe (see {@link ClRuntime}). Reading a tensor back to the host is explicit
 * ({@link OpenClTensor#toFloatArray()}).
 */
final class OpenClBackend implements Backend {

    /** One cleaner thread for the JVM releases device buffers of tensors dropped without {@code close()}. */
    static final Cleaner CLEANER = Cleaner.create();

    private final ClRuntime runtime;
    /** Which gemm.cl kernel and tiling this device gets, fixed per context. */
    private final ClGemm gemm;
    private final OpenClDeformConv2d conv;
    private final OpenClDeformPsRoiPool pool;
    /** F16/BF16 calls: widened to float32 on the device, results rounded once (convert.cl). */
    private final ClSixteenBit sixteenBit = new ClSixteenBit(this);

    OpenClBackend(ClDevice device) {
        ClGemm.Tiling tiling = ClGemm.Tiling.forDevice(device);
        this.runtime = new ClRuntime(device, Map.of(ClGemm.PROGRAM, tiling.options()));
        this.gemm = new ClGemm(runtime, tiling);
        this.conv = new OpenClDeformConv2d(this);
        this.pool = new OpenClDeformPsRoiPool(this);
    }

    @Override
    public String name() {
        return OpenClProvider.NAME;
    }

    @Override
    public String description() {
        return "OpenCL device " + runtime.device().describe();
    }

    ClRuntime runtime() {
        return runtime;
    }

    ClDevice device() {
        return runtime.device();
    }

    @Override
    public DType nativeDType() {
        return DType.F32;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.F16 || dtype == DType.BF16;
    }

    // ---- tensors ----

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        requireSupported(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        int n = Checks.elementCount(shape, data.length);
        if (dtype.isSixteenBit()) {
            short[] b = new short[n];
            for (int i = 0; i < n; i++) b[i] = HalfPrecision.fromDouble(dtype, data[i]);
            return upload(dtype, shape, ShortBuffer.wrap(b));
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) data[i];
        return upload(shape, f);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        requireSupported(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        Checks.elementCount(shape, data.length);
        if (dtype.isSixteenBit()) return upload(dtype, shape, ShortBuffer.wrap(HostBuffers.bits(dtype, data)));
        return upload(shape, data);
    }

    /** Uploads straight from {@code data} when it is direct (native order) or array-backed: one copy. */
    @Override
    public Tensor tensor(DType dtype, int[] shape, FloatBuffer data) {
        requireSupported(dtype);
        HostBuffers.nonNull("data", data);
        Checks.elementCount(shape, data.remaining());
        if (dtype == DType.F32 && HostBuffers.transferableInPlace(data)) return upload(dtype, shape, data);
        return tensor(dtype, shape, HostBuffers.floats(data));
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, ShortBuffer bits) {
        HostBuffers.checkSixteenBit("dtype", dtype);
        HostBuffers.nonNull("bits", bits);
        Checks.elementCount(shape, bits.remaining());
        return upload(dtype, shape, HostBuffers.transferableInPlace(bits) ? bits
                : ShortBuffer.wrap(HostBuffers.shorts(bits)));
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, ByteBuffer data) {
        requireSupported(dtype);
        int n = HostBuffers.rawCount(dtype, shape, data);
        if (HostBuffers.transferableInPlace(data)) return upload(dtype, shape, data);
        if (dtype.isSixteenBit()) {
            short[] b = new short[n];
            HostBuffers.getShorts(data, b);
            return upload(dtype, shape, ShortBuffer.wrap(b));
        }
        float[] f = new float[n];
        HostBuffers.getFloats(data, f);
        return upload(shape, f);
    }

    private void requireSupported(DType dtype) {
        if (dtype == null || !supports(dtype)) {
            throw new IllegalArgumentException("dtype: expected F32, F16 or BF16, got " + dtype);
        }
    }

    /**
     * A tensor of {@code dtype} whose elements are the remaining ones of {@code data} (raw, native
     * order), written to the device straight from the buffer: the one copy of README "From Java".
     */
    private Tensor upload(DType dtype, int[] shape, Buffer data) {
        OpenClTensor t = newTensor(dtype, shape);
        try {
            runtime.writeFrom(t.buffer(), (long) t.count() * dtype.bytes(), data, label(shape));
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** A new tensor of {@code dtype} and {@code shape} whose buffer is uninitialised. */
    OpenClTensor newTensor(DType dtype, int[] shape) {
        int n = Checks.elementCount(shape, (int) product(shape));
        return new OpenClTensor(this, dtype, shape, n, runtime.allocateBytes((long) n * dtype.bytes(), null,
                label(shape)));
    }

    /** Reads {@code t}'s raw elements into {@code dst} from its position (direct native-order or array-backed). */
    void readInto(OpenClTensor t, Buffer dst) {
        try {
            runtime.readInto(t.buffer(), (long) t.count() * t.dtype().bytes(), dst, "tensor");
        } finally {
            Reference.reachabilityFence(t);
        }
    }

    private Tensor upload(int[] shape, float[] data) {
        ClBuffer b = runtime.allocate(data.length, data.length == 0 ? null : Pointer.to(data), label(shape));
        return new OpenClTensor(this, shape, data.length, b);
    }

    /** A new tensor of {@code shape} whose buffer is uninitialised (a kernel writes every element). */
    OpenClTensor newTensor(int[] shape) {
        int n = Checks.elementCount(shape, (int) product(shape));
        return new OpenClTensor(this, shape, n, runtime.allocate(n, null, label(shape)));
    }

    private static String label(int[] shape) {
        return "tensor " + Arrays.toString(shape);
    }

    private static long product(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    float[] read(OpenClTensor t) {
        try {
            return runtime.read(t.buffer(), t.count(), "tensor");
        } finally {
            Reference.reachabilityFence(t);
        }
    }

    /**
     * Keeps the argument tensors of an operation reachable until it returns. A tensor's {@link
     * OpenClTensor cleaner} releases its buffer once the tensor object is unreachable, and the JIT may
     * consider an argument dead as soon as its buffer was fetched, before the operation holds that buffer
     * (seen in CI: {@code t.toFloatArray()} on a result nobody else referenced failed with "closed (its
     * device buffer was released)" when a GC ran in between).
     */
    private static void keepReachable(Object a, Object b, Object c, Object d, Object e, Object f) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
        Reference.reachabilityFence(d);
        Reference.reachabilityFence(e);
        Reference.reachabilityFence(f);
    }

    /**
     * {@code t} as a tensor of this backend instance: {@link Checks#owned} has checked the backend
     * name; a tensor of another {@code opencl} backend (another context) is rejected here.
     */
    OpenClTensor own(String argument, Tensor t) {
        if (t == null) return null;
        OpenClTensor o = (OpenClTensor) t;
        if (o.backend() != this) {
            throw new IllegalArgumentException(argument + ": expected a tensor of this opencl backend instance ("
                    + device().name() + "), got one of another instance");
        }
        o.buffer(); // fails when closed
        return o;
    }

    // ---- what operators and tests reach ----

    OpenClDeformConv2d conv() {
        return conv;
    }

    OpenClDeformPsRoiPool pool() {
        return pool;
    }

    ClGemm gemm() {
        return gemm;
    }

    boolean gpuStyle() {
        return runtime.gpuStyle();
    }

    /** Switches launch shapes and GEMM kernel, so that tests run the GPU paths on a CPU device too. */
    void useGpuStyle(boolean gpu) {
        runtime.useGpuStyle(gpu);
        gemm.useBlockKernel(!gpu);
    }

    int liveBuffers() {
        return runtime.liveBuffers();
    }

    long liveBytes() {
        return runtime.liveBytes();
    }

    long hostReads() {
        return runtime.hostReads();
    }

    int programBuilds() {
        return runtime.programBuilds();
    }

    void buildForTest(String name, String source) {
        runtime.buildForTest(name, source);
    }

    // ---- operators ----

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        try {
            if (sixteenBit.applies(input)) {
                DeformConv2dShape.of(name(), spec, input, offset, mask, weight, bias);
                sixteenBit.checkOwned(input, offset, mask, weight, bias);
                return WidenedCalls.deformConv2d(this, sixteenBit, spec, input, offset, mask, weight, bias);
            }
            return conv.forward(spec, input, offset, mask, weight, bias);
        } finally {
            keepReachable(input, offset, mask, weight, bias, null);
        }
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        try {
            if (sixteenBit.applies(input)) {
                DeformConv2dShape.ofBackward(name(), spec, gradOutput, input, offset, mask, weight, bias, wanted);
                sixteenBit.checkOwned(gradOutput, input, offset, mask, weight, bias);
                return WidenedCalls.deformConv2dBackward(this, sixteenBit, spec, gradOutput, input, offset, mask,
                        weight, bias, wanted);
            }
            return conv.backward(spec, gradOutput, input, offset, mask, weight, bias, wanted);
        } finally {
            keepReachable(gradOutput, input, offset, mask, weight, bias);
        }
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        try {
            if (sixteenBit.applies(input)) {
                DeformPsRoiPoolShape.of(name(), spec, input, rois, sixteenBit.rois(input, rois), offset);
                sixteenBit.checkOwned(input, rois, offset);
                return WidenedCalls.deformPsRoiPool(this, sixteenBit, spec, input, rois, offset);
            }
            return pool.forward(spec, input, rois, offset);
        } finally {
            keepReachable(input, rois, offset, null, null, null);
        }
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                            Tensor input, Tensor rois, Tensor offset,
                                                            Set<Gradient> wanted) {
        try {
            if (sixteenBit.applies(input)) {
                DeformPsRoiPoolShape.ofBackward(name(), spec, gradOutput, input, rois, sixteenBit.rois(input, rois),
                        offset, wanted);
                sixteenBit.checkOwned(gradOutput, input, rois, offset);
                return WidenedCalls.deformPsRoiPoolBackward(this, sixteenBit, spec, gradOutput, input, rois, offset,
                        wanted);
            }
            return pool.backward(spec, gradOutput, input, rois, offset, wanted);
        } finally {
            keepReachable(gradOutput, input, rois, offset, null, null);
        }
    }

    // ---- lifecycle ----

    boolean isClosed() {
        return runtime.isClosed();
    }

    /** Waits for a running operation, then releases every buffer still alive (tensors included) and the context. */
    @Override
    public void close() {
        runtime.close();
    }

    @Override
    public String toString() {
        return "OpenClBackend[" + runtime.device().describe() + "]";
    }

    /** Keeps {@code o} reachable up to this point (the runtime holds the buffers themselves; see {@link ClRuntime}). */
    static void keepAlive(Object o) {
        java.lang.ref.Reference.reachabilityFence(o);
    }
}
