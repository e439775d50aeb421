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
import java.lang.ref.Cleaner;
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
        return dtype == DType.F32;
    }

    // ---- tensors ----

    @Override
    public Tensor tensor(DType dtype, int[] shape, double[] data) {
        requireF32(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        int n = Checks.elementCount(shape, data.length);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) data[i];
        return upload(shape, f);
    }

    @Override
    public Tensor tensor(DType dtype, int[] shape, float[] data) {
        requireF32(dtype);
        if (data == null) throw new IllegalArgumentException("data: expected an array, got null");
        Checks.elementCount(shape, data.length);
        return upload(shape, data);
    }

    private static void requireF32(DType dtype) {
        if (dtype != DType.F32) {
            throw new IllegalArgumentException("dtype: expected F32, got " + dtype);
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
        return runtime.read(t.buffer(), t.count(), "tensor");
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
        return conv.forward(spec, input, offset, mask, weight, bias);
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        return conv.backward(spec, gradOutput, input, offset, mask, weight, bias, wanted);
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        return pool.forward(spec, input, rois, offset);
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                            Tensor input, Tensor rois, Tensor offset,
                                                            Set<Gradient> wanted) {
        return pool.backward(spec, gradOutput, input, rois, offset, wanted);
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
