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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * The {@code opencl} backend on one device: a context, one in-order command queue, and programs
 * compiled from the {@code .cl} resources once per context (on first use) with their kernels
 * cached. Argument checking and memory management of each operator family live in
 * {@link OpenClDeformConv2d} and {@link OpenClDeformPsRoiPool}; the arithmetic lives in the kernels.
 *
 * <p>Thread safety: every enqueue sequence (setting kernel arguments is not thread-safe in OpenCL)
 * runs under one lock, so concurrent callers are serialised on the queue and compute exactly what
 * they would alone. Every operation ends with {@code clFinish}: an error surfaces in the call that
 * caused it, the scratch {@link Workspace} is free for the next call, and timings measure the work
 * done. Reading a tensor back to the host is explicit ({@link OpenClTensor#toFloatArray()}).
 */
final class OpenClBackend implements Backend {

    /** One cleaner thread for the JVM releases device buffers of tensors dropped without {@code close()}. */
    static final Cleaner CLEANER = Cleaner.create();

    private final ClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    /** Serialises enqueue sequences, kernel-argument setting, program builds and close. */
    private final Object lock = new Object();
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    /** Work-group width of each kernel's element-wise launches (see {@link KernelCall#range}). */
    private final Map<String, Integer> widths = new HashMap<>();
    /** GPU-style or CPU-style launch shapes (see {@link #gpuStyle()}). */
    private volatile boolean gpuStyle;
    private final Set<ClBuffer> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong hostReads = new AtomicLong();
    /** Programs compiled in this context (guarded by {@link #lock}): one per {@code .cl} resource used. */
    private int programBuilds;
    private volatile boolean closed;
    /** Which gemm.cl kernel and tiling this device gets, fixed per context. */
    private final ClGemm gemm;

    /** F16/BF16 calls: widened to float32 on the device, results rounded once (convert.cl). */
    private final ClSixteenBit sixteenBit = new ClSixteenBit(this);

    /** Scratch buffers reused between calls; used under {@link #lock}. */
    private final Workspace workspace = new Workspace(this);
    private final OpenClDeformConv2d conv;
    private final OpenClDeformPsRoiPool pool;

    OpenClBackend(ClDevice device) {
        this.device = device;
        cl_context c = Cl.createContext(device.platform(), device.id());
        try {
            this.queue = Cl.createQueue(c, device.id());
        } catch (RuntimeException e) {
            Cl.release(c);
            throw e;
        }
        this.context = c;
        this.gpuStyle = device.hasDedicatedLocalMemory();
        this.gemm = new ClGemm(this, ClGemm.Tiling.forDevice(device));
        this.conv = new OpenClDeformConv2d(this);
        this.pool = new OpenClDeformPsRoiPool(this);
    }

    @Override
    public String name() {
        return OpenClProvider.NAME;
    }

    @Override
    public String description() {
        return "OpenCL device " + device.describe();
    }

    ClDevice device() {
        return device;
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
        return upload(dtype, shape, HostBuffers.transferableInPlace(bits) ? bits : ShortBuffer.wrap(HostBuffers.shorts(bits)));
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

    private Tensor upload(int[] shape, float[] data) {
        ClBuffer b = allocate(data.length, data.length == 0 ? null : Pointer.to(data), "tensor");
        return new OpenClTensor(this, shape, data.length, b);
    }

    /**
     * A tensor of {@code dtype} whose elements are the remaining ones of {@code data} (raw, native
     * order), written to the device straight from the buffer: the one copy of README "From Java".
     */
    private Tensor upload(DType dtype, int[] shape, Buffer data) {
        int n = Checks.elementCount(shape, (int) product(shape));
        OpenClTensor t = newTensor(dtype, shape);
        if (n == 0) return t;
        try {
            synchronized (lock) {
                ensureOpen();
                Cl.write(queue, t.buffer().mem(), (long) n * dtype.bytes(), Pointer.toBuffer(data), "tensor");
            }
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** A new tensor of {@code dtype} and {@code shape} whose buffer is uninitialised. */
    OpenClTensor newTensor(DType dtype, int[] shape) {
        int n = Checks.elementCount(shape, (int) product(shape));
        return new OpenClTensor(this, dtype, shape, n, allocateBytes((long) n * dtype.bytes(), null, "tensor"));
    }

    /** Reads {@code t}'s raw elements into {@code dst} from its position (direct native-order or array-backed). */
    void readInto(OpenClTensor t, Buffer dst) {
        long bytes = (long) t.count() * t.dtype().bytes();
        if (bytes == 0) return;
        hostReads.incrementAndGet();
        synchronized (lock) {
            ensureOpen();
            Cl.read(queue, t.buffer().mem(), bytes, Pointer.toBuffer(dst), "tensor");
        }
    }

    /** A new tensor of {@code shape} whose buffer is uninitialised (a kernel writes every element). */
    OpenClTensor newTensor(int[] shape) {
        int n = Checks.elementCount(shape, (int) product(shape));
        return new OpenClTensor(this, shape, n, allocate(n, null, "tensor"));
    }

    private static long product(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /**
     * A device buffer of {@code floats} 4-byte elements (at least one: OpenCL has no empty buffers),
     * tracked until released.
     */
    ClBuffer allocate(long floats, Pointer host, String what) {
        return allocateBytes(floats * Sizeof.cl_float, host, what);
    }

    /** A device buffer of {@code bytes} (at least 4), tracked until released. */
    ClBuffer allocateBytes(long bytes0, Pointer host, String what) {
        long bytes = Math.max(Sizeof.cl_float, bytes0);
        synchronized (lock) { // never races with close(): no buffer is created in a released context
            ensureOpen();
            ClBuffer b = new ClBuffer(this, Cl.createBuffer(context, bytes, host, what), bytes, what);
            live.add(b);
            liveBytes.addAndGet(bytes);
            return b;
        }
    }

    void forget(ClBuffer b) {
        if (live.remove(b)) liveBytes.addAndGet(-b.bytes());
    }

    /** Device buffers alive now (tensors and workspaces): the leak test's measure of device memory. */
    int liveBuffers() {
        return live.size();
    }

    long liveBytes() {
        return liveBytes.get();
    }

    /** Reads of device memory back to the host so far: lets tests prove that chained calls make none. */
    long hostReads() {
        return hostReads.get();
    }

    cl_context context() {
        return context;
    }

    float[] read(OpenClTensor t) {
        float[] out = new float[t.count()];
        if (out.length == 0) return out;
        hostReads.incrementAndGet();
        synchronized (lock) {
            ensureOpen();
            Cl.read(queue, t.buffer().mem(), (long) out.length * Sizeof.cl_float, Pointer.to(out), "tensor");
        }
        return out;
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
                    + device.name() + "), got one of another instance");
        }
        o.buffer(); // fails when closed
        return o;
    }

    // ---- programs and kernels ----

    /** The lock under which callers enqueue a sequence of kernels. */
    Object lock() {
        return lock;
    }

    cl_command_queue queue() {
        return queue;
    }

    OpenClDeformConv2d conv() {
        return conv;
    }

    OpenClDeformPsRoiPool pool() {
        return pool;
    }

    /** The scratch buffers; call under {@link #lock()}. */
    Workspace workspace() {
        return workspace;
    }

    ClGemm gemm() {
        return gemm;
    }

    /** The kernel {@code kernel} of resource {@code program}; compiles the program on first use. Call under {@link #lock()}. */
    cl_kernel kernel(String program, String kernel) {
        ensureOpen();
        String key = program + "#" + kernel;
        cl_kernel k = kernels.get(key);
        if (k == null) {
            cl_program p = programs.get(program);
            if (p == null) {
                StringBuilder src = new StringBuilder();
                for (String include : INCLUDES.getOrDefault(program, java.util.List.of())) {
                    src.append(source(include)).append('\n');
                }
                src.append(source(program));
                p = Cl.buildProgram(context, device.id(), program, src.toString(), options(program));
                programs.put(program, p);
                programBuilds++;
            }
            k = Cl.createKernel(p, kernel);
            kernels.put(key, k);
        }
        return k;
    }

    /** Shared sources compiled into a program ahead of its own (OpenCL C 1.2 has no #include of resources). */
    private static final Map<String, java.util.List<String>> INCLUDES = Map.of(
            "deform_conv2d.cl", java.util.List.of("buckets.cl"),
            "deform_psroi_pool.cl", java.util.List.of("buckets.cl"));

    private String options(String program) {
        return program.equals(ClGemm.PROGRAM) ? gemm.tiling().options() : "";
    }

    private static String source(String program) {
        try (InputStream in = OpenClBackend.class.getResourceAsStream(program)) {
            if (in == null) throw new IllegalStateException("kernel source dcn4j/opencl/" + program + " not found");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + program, e);
        }
    }

    /** How many programs this context has compiled: at most one per {@code .cl} resource, whatever the calls. */
    int programBuilds() {
        synchronized (lock) {
            return programBuilds;
        }
    }

    /** Compiles {@code source} as a throw-away program: lets tests see how build failures are reported. */
    void buildForTest(String name, String source) {
        synchronized (lock) {
            ensureOpen();
            Cl.release(Cl.buildProgram(context, device.id(), name, source, ""));
        }
    }

    /** Starts setting the arguments of a kernel; call under {@link #lock()}. */
    KernelCall call(String program, String kernel) {
        cl_kernel k = kernel(program, kernel);
        String key = program + "#" + kernel;
        Integer width = widths.get(key);
        if (width == null) {
            // A fixed width per kernel: PoCL (and other CPU runtimes) compile one variant per work-group
            // size, so letting the runtime pick it from the global size would recompile for every shape.
            long max = Math.min(launchWidth(), Cl.kernelWorkGroupSize(k, device.id(), kernel));
            width = Integer.highestOneBit((int) Math.max(1, max));
            widths.put(key, width);
        }
        return new KernelCall(k, kernel, width);
    }

    /**
     * Work-items per work-group along dimension 0 of element-wise kernels: 128 on GPUs (a multiple of
     * warp and wavefront sizes); 1024 on CPU devices, where every work-group is a task for the
     * runtime's thread pool and small ones cost more to schedule than to run.
     */
    int launchWidth() {
        return gpuStyle ? 128 : 1024;
    }

    /**
     * Whether launches are shaped for a GPU (many small work-items) rather than a CPU device (few,
     * wide ones): true where local memory is dedicated on-chip memory. Results do not depend on it.
     */
    boolean gpuStyle() {
        return gpuStyle;
    }

    /** Switches launch shapes and GEMM kernel, so that tests run the GPU paths on a CPU device too. */
    void useGpuStyle(boolean gpu) {
        synchronized (lock) {
            gpuStyle = gpu;
            widths.clear();
            gemm.useBlockKernel(!gpu);
        }
    }

    /** Arguments set in order, then one enqueue. */
    final class KernelCall {
        private final cl_kernel kernel;
        private final String name;
        private final int width;
        private int index;

        private KernelCall(cl_kernel kernel, String name, int width) {
            this.kernel = kernel;
            this.name = name;
            this.width = width;
        }

        KernelCall buf(ClBuffer b) {
            Cl.setArg(kernel, name, index++, Sizeof.cl_mem, Pointer.to(b.mem()));
            return this;
        }

        KernelCall i(int v) {
            Cl.setArg(kernel, name, index++, Sizeof.cl_int, Pointer.to(new int[] {v}));
            return this;
        }

        KernelCall f(float v) {
            Cl.setArg(kernel, name, index++, Sizeof.cl_float, Pointer.to(new float[] {v}));
            return this;
        }

        /** An {@code intN} vector argument ({@code N} = 2, 4, 8 or 16). */
        KernelCall vec(int[] v) {
            Cl.setArg(kernel, name, index++, (long) Sizeof.cl_int * v.length, Pointer.to(v));
            return this;
        }

        /** {@link #range(long, long, long)} in one dimension. */
        void range(long x) {
            range(x, 1, 1);
        }

        /**
         * An element-wise launch over {@code x * y * z} work-items: dimension 0 is padded up to a
         * multiple of the kernel's fixed work-group width (the kernel guards it), dimensions 1 and 2
         * are exact. Nothing when a size is 0.
         */
        void range(long x, long y, long z) {
            if (x <= 0 || y <= 0 || z <= 0) return;
            run(new long[] {(x + width - 1) / width * width, y, z}, new long[] {width, 1, 1});
        }

        void run(long[] global, long[] local) {
            for (long g : global) if (g <= 0) return;
            java.util.function.ObjLongConsumer<String> timer = kernelTimer;
            long t0 = timer == null ? 0 : System.nanoTime();
            Cl.enqueue(queue, kernel, name, global, local);
            if (timer != null) {
                Cl.finish(queue, name);
                timer.accept(name, System.nanoTime() - t0);
            }
        }
    }

    /** Diagnostics: when set, every kernel is waited for and its wall time reported (name, ns). */
    static volatile java.util.function.ObjLongConsumer<String> kernelTimer;

    /** Waits for the queue; call under {@link #lock()} at the end of every operation. */
    void finish(String what) {
        Cl.finish(queue, what);
    }

    // ---- operators ----

    @Override
    public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                               Tensor bias) {
        if (sixteenBit.applies(input)) {
            DeformConv2dShape.of(name(), spec, input, offset, mask, weight, bias);
            sixteenBit.checkOwned(input, offset, mask, weight, bias);
            return WidenedCalls.deformConv2d(this, sixteenBit, spec, input, offset, mask, weight, bias);
        }
        return conv.forward(spec, input, offset, mask, weight, bias);
    }

    @Override
    public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                      Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                      Set<Gradient> wanted) {
        if (sixteenBit.applies(input)) {
            DeformConv2dShape.ofBackward(name(), spec, gradOutput, input, offset, mask, weight, bias,
                    wanted);
            sixteenBit.checkOwned(gradOutput, input, offset, mask, weight, bias);
            return WidenedCalls.deformConv2dBackward(this, sixteenBit, spec, gradOutput, input, offset, mask, weight,
                    bias, wanted);
        }
        return conv.backward(spec, gradOutput, input, offset, mask, weight, bias, wanted);
    }

    @Override
    public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
        if (sixteenBit.applies(input)) {
            DeformPsRoiPoolShape.of(name(), spec, input, rois, sixteenBit.rois(input, rois), offset);
            sixteenBit.checkOwned(input, rois, offset);
            return WidenedCalls.deformPsRoiPool(this, sixteenBit, spec, input, rois, offset);
        }
        return pool.forward(spec, input, rois, offset);
    }

    @Override
    public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                            Tensor input, Tensor rois, Tensor offset,
                                                            Set<Gradient> wanted) {
        if (sixteenBit.applies(input)) {
            DeformPsRoiPoolShape.ofBackward(name(), spec, gradOutput, input, rois,
                    sixteenBit.rois(input, rois), offset, wanted);
            sixteenBit.checkOwned(gradOutput, input, rois, offset);
            return WidenedCalls.deformPsRoiPoolBackward(this, sixteenBit, spec, gradOutput, input, rois, offset,
                    wanted);
        }
        return pool.backward(spec, gradOutput, input, rois, offset, wanted);
    }

    // ---- lifecycle ----

    boolean isClosed() {
        return closed;
    }

    void ensureOpen() {
        if (closed) throw new IllegalStateException("the opencl backend (" + device.name() + ") is closed");
    }

    /** Releases every buffer still alive (tensors included), the kernels, programs, queue and context. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) return;
            try {
                Cl.finish(queue, "close");
            } catch (OpenClException ignored) {
                // releasing below is still right: the context goes away with everything in it
            }
            closed = true;
            for (ClBuffer b : new ArrayList<>(live)) b.release();
            for (cl_kernel k : kernels.values()) Cl.release(k);
            for (cl_program p : programs.values()) Cl.release(p);
            kernels.clear();
            programs.clear();
            Cl.release(queue);
            Cl.release(context);
        }
    }

    @Override
    public String toString() {
        return "OpenClBackend[" + device.describe() + "]";
    }

    /** Tensors a call reads; kept reachable until its kernels have finished (see {@link #keepAlive}). */
    static List<Tensor> args(Tensor... ts) {
        List<Tensor> l = new ArrayList<>(ts.length);
        for (Tensor t : ts) if (t != null) l.add(t);
        return l;
    }

    /** Keeps {@code o} reachable up to this point, so its cleaner cannot release a buffer in use. */
    static void keepAlive(Object o) {
        java.lang.ref.Reference.reachabilityFence(o);
    }
}
