package dcn4j.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ObjLongConsumer;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The OpenCL runtime of one backend (DESIGN.md "OpenCL runtime"): a context and one in-order queue
 * on one device, programs compiled from the {@code .cl} resources once per context with their
 * kernels cached, device buffers (allocation under the device's largest allocation, accounting,
 * lifetime), reads back to the host, kernel calls and the scratch {@link Workspace}.
 *
 * <p>Operations. Everything that enqueues work runs inside an {@link Op}: one at a time (setting
 * kernel arguments is not thread-safe in OpenCL), so concurrent callers compute exactly what they
 * would alone. An operation <em>holds</em> every buffer it hands to OpenCL (kernel arguments,
 * fills, reads) until it ends, and it ends only when the queue has finished: an error surfaces in
 * the call that caused it, and no buffer is freed under a running kernel.
 *
 * <p>Buffer lifetime. {@link ClBuffer#release()} (a tensor's {@code close()}, its cleaner, a
 * workspace growing) may come from any thread at any time: a buffer no operation holds is freed at
 * once; a held one when the operation holding it ends; an operation that reaches a released
 * buffer fails with {@link IllegalStateException} before enqueueing anything with it. Closing the
 * runtime waits for the running operation, then frees everything. Releasing never waits for an
 * operation (the cleaner thread must not), so the buffer state has its own small lock, taken
 * inside the operation lock, never around it.
 */
final class ClRuntime implements AutoCloseable {

    /** Diagnostics: when set, every kernel is waited for and its wall time reported (name, ns). */
    static volatile ObjLongConsumer<String> kernelTimer;

    /** Shared sources compiled into a program ahead of its own (OpenCL C 1.2 has no #include of resources). */
    private static final Map<String, List<String>> INCLUDES = Map.of(
            "deform_conv2d.cl", List.of("buckets.cl"),
            "deform_psroi_pool.cl", List.of("buckets.cl"));

    private final ClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    /** One operation at a time; also guards the program and kernel caches, allocation and close. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Guards the state of every buffer (released, held, freed), {@link #holds} and {@link #closed}'s effect on them. */
    private final Object bufferLock = new Object();
    /** Buffers the running operation has handed to OpenCL; emptied when it ends. */
    private final List<ClBuffer> holds = new ArrayList<>();
    /** Nesting of operations on the lock-holding thread (a read inside an operation). */
    private int depth;
    private final Map<String, cl_program> programs = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    /** Work-group width of each kernel's element-wise launches (see {@link KernelCall#range}). */
    private final Map<String, Integer> widths = new HashMap<>();
    private final Map<String, String> buildOptions;
    /** GPU-style or CPU-style launch shapes (see {@link #gpuStyle()}). */
    private volatile boolean gpuStyle;
    private final Set<ClBuffer> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong hostReads = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();
    /** Programs compiled in this context (guarded by {@link #lock}). */
    private int programBuilds;
    private volatile boolean closed;
    /** Largest buffer allocated, at most the device's {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}; tests lower it. */
    private volatile long maxAlloc;
    private final Workspace workspace = new Workspace(this);

    /** A context and queue on {@code device}; {@code buildOptions}: compiler options per program resource. */
    ClRuntime(ClDevice device, Map<String, String> buildOptions) {
        this.device = device;
        this.buildOptions = Map.copyOf(buildOptions);
        this.maxAlloc = device.maxAlloc() > 0 ? device.maxAlloc() : Long.MAX_VALUE;
        cl_context c = Cl.createContext(device.platform(), device.id());
        try {
            this.queue = Cl.createQueue(c, device.id());
        } catch (RuntimeException e) {
            Cl.release(c);
            throw e;
        }
        this.context = c;
        this.gpuStyle = device.hasDedicatedLocalMemory();
    }

    ClDevice device() {
        return device;
    }

    // ---- operations ----

    /**
     * Starts an operation: waits for the running one to end, then {@link IllegalStateException}
     * when the runtime is closed. End it with {@link Op#close()} (try-with-resources).
     */
    Op op() {
        lock.lock();
        if (closed) {
            lock.unlock();
            throw closedException();
        }
        depth++;
        return new Op();
    }

    /** One operation: holds what it uses until it ends; see {@link ClRuntime}. */
    final class Op implements AutoCloseable {
        private boolean finished;
        private boolean ended;

        private Op() {
        }

        /** Waits for the queue: the operation's work is done, its errors reported. */
        void finish(String what) {
            Cl.finish(queue, what);
            finished = true;
        }

        /**
         * Ends the operation: waits for the queue if {@link #finish} did not (a failed operation),
         * then lets go of the buffers it held, freeing those released meanwhile. When that wait
         * fails they stay held until an operation's wait succeeds, or the runtime closes.
         */
        @Override
        public void close() {
            if (ended) return;
            ended = true;
            try {
                if (depth == 1) {
                    boolean idle = finished;
                    if (!idle) {
                        try {
                            Cl.finish(queue, "end of a failed operation");
                            idle = true;
                        } catch (OpenClException e) {
                            idle = false; // cannot tell what still runs: keep holding
                        }
                    }
                    if (idle) letGo();
                }
            } finally {
                depth--;
                lock.unlock();
            }
        }
    }

    private void letGo() {
        synchronized (bufferLock) {
            for (ClBuffer b : holds) {
                b.held = false;
                if (b.released) free(b);
            }
            holds.clear();
        }
    }

    /** {@code b}'s memory object for the running operation, held until it ends; ISE when released. */
    private cl_mem hold(ClBuffer b) {
        if (!lock.isHeldByCurrentThread() || depth == 0) {
            throw new IllegalStateException("internal: " + b.what() + " used outside an operation");
        }
        synchronized (bufferLock) {
            if (b.released) throw releasedException(b);
            if (!b.held) {
                b.held = true;
                holds.add(b);
            }
            return b.mem;
        }
    }

    private IllegalStateException releasedException(ClBuffer b) {
        return new IllegalStateException(b.what() + " is closed"
                + (closed ? " (its opencl backend was closed)" : " (its device buffer was released)"));
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("the opencl backend (" + device.name() + ") is closed");
    }

    // ---- buffers ----

    /** The largest buffer this runtime allocates, in bytes. */
    long maxAlloc() {
        return maxAlloc;
    }

    /** Lowers the largest allocation below the device's (tests: chunking without gigabytes of memory). */
    void maxAllocCap(long bytes) {
        maxAlloc = Math.min(bytes, device.maxAlloc() > 0 ? device.maxAlloc() : Long.MAX_VALUE);
    }

    /**
     * A device buffer of {@code floats} 4-byte elements (at least one: OpenCL has no empty buffers),
     * tracked until released. One larger than {@link #maxAlloc()} is refused with
     * {@link IllegalArgumentException} naming {@code what}, its size and the limit (OpenCL would
     * answer {@code CL_INVALID_BUFFER_SIZE}).
     */
    ClBuffer allocate(long floats, Pointer host, String what) {
        if (floats > Long.MAX_VALUE / Sizeof.cl_float) {
            throw new IllegalArgumentException(what + ": expected at most " + maxAlloc + " bytes (the largest buffer "
                    + "the OpenCL device " + device.name() + " allocates, CL_DEVICE_MAX_MEM_ALLOC_SIZE), got "
                    + floats + " floats");
        }
        return allocateBytes(Math.max(1, floats) * Sizeof.cl_float, host, what);
    }

    /**
     * A device buffer of {@code bytes} (at least 4; 16-bit tensors), tracked until released; refused
     * above {@link #maxAlloc()} as {@link #allocate} does.
     */
    ClBuffer allocateBytes(long bytes0, Pointer host, String what) {
        long bytes = Math.max(Sizeof.cl_float, bytes0);
        long limit = maxAlloc;
        if (bytes > limit) {
            throw new IllegalArgumentException(what + ": expected at most " + limit + " bytes (the largest buffer "
                    + "the OpenCL device " + device.name() + " allocates, CL_DEVICE_MAX_MEM_ALLOC_SIZE), got "
                    + bytes + " bytes");
        }
        lock.lock(); // never races with close(): no buffer is created in a released context
        try {
            if (closed) throw closedException();
            ClBuffer b = new ClBuffer(this, Cl.createBuffer(context, bytes, host, what), bytes, what);
            live.add(b);
            liveBytes.addAndGet(bytes);
            allocations.incrementAndGet();
            return b;
        } finally {
            lock.unlock();
        }
    }

    boolean isReleased(ClBuffer b) {
        synchronized (bufferLock) {
            return b.released;
        }
    }

    /** See {@link ClBuffer#release()}. */
    void release(ClBuffer b) {
        synchronized (bufferLock) {
            if (b.released) return;
            b.released = true;
            if (!b.held) free(b);
        }
    }

    /** Frees the memory object; under {@link #bufferLock}. */
    private void free(ClBuffer b) {
        if (b.freed) return;
        b.freed = true;
        if (live.remove(b)) liveBytes.addAndGet(-b.bytes());
        Cl.release(b.mem);
    }

    /** Device buffers alive now (tensors and workspaces): the leak test's measure of device memory. */
    int liveBuffers() {
        return live.size();
    }

    long liveBytes() {
        return liveBytes.get();
    }

    /**
     * Buffers allocated so far: unlike {@link #liveBuffers()}, which the cleaner may lower at any
     * moment, it lets tests prove that a call allocated nothing.
     */
    long allocations() {
        return allocations.get();
    }

    /** Reads of device memory back to the host so far: lets tests prove that chained calls make none. */
    long hostReads() {
        return hostReads.get();
    }

    /** The first {@code count} floats of {@code b}, read back (blocking) in an operation of its own. */
    float[] read(ClBuffer b, int count, String what) {
        float[] out = new float[count];
        if (count == 0) return out;
        hostReads.incrementAndGet();
        try (Op op = op()) {
            Cl.read(queue, hold(b), (long) count * Sizeof.cl_float, Pointer.to(out), what);
            op.finish(what); // in-order queue: the blocking read ended after everything before it
        }
        return out;
    }

    /**
     * Reads the first {@code bytes} of {@code b} into {@code dst} from its position (a direct buffer in
     * native order, or one backed by an accessible array: the device writes it in place), blocking,
     * in an operation of its own.
     */
    void readInto(ClBuffer b, long bytes, java.nio.Buffer dst, String what) {
        if (bytes == 0) return;
        hostReads.incrementAndGet();
        try (Op op = op()) {
            Cl.read(queue, hold(b), bytes, Pointer.toBuffer(dst), what);
            op.finish(what);
        }
    }

    /** Writes {@code bytes} from {@code src}'s position to the start of {@code b}, blocking, in an operation of its own. */
    void writeFrom(ClBuffer b, long bytes, java.nio.Buffer src, String what) {
        if (bytes == 0) return;
        try (Op op = op()) {
            Cl.write(queue, hold(b), bytes, Pointer.toBuffer(src), what);
            op.finish(what);
        }
    }

    /**
     * Enqueues copying a box of {@code slices x rows x rowBytes} bytes from {@code src} (starting at
     * slice {@code srcSlice}, row {@code srcRow}, with its row and slice pitches) to {@code dst}
     * (likewise); inside an operation.
     */
    void copyRect(ClBuffer src, long srcSlice, long srcRow, long srcRowPitch, long srcSlicePitch, ClBuffer dst,
                  long dstSlice, long dstRow, long dstRowPitch, long dstSlicePitch, long rowBytes, long rows,
                  long slices, String what) {
        if (rowBytes <= 0 || rows <= 0 || slices <= 0) return;
        Cl.copyRect(queue, hold(src), hold(dst), new long[] {0, srcRow, srcSlice}, new long[] {0, dstRow, dstSlice},
                new long[] {rowBytes, rows, slices}, srcRowPitch, srcSlicePitch, dstRowPitch, dstSlicePitch, what);
    }

    /** Enqueues zeroing the first {@code bytes} of {@code b}; inside an operation. */
    void fill(ClBuffer b, long bytes, String what) {
        Cl.fill(queue, hold(b), bytes, what);
    }

    /** The scratch buffers; inside an operation. */
    Workspace workspace() {
        return workspace;
    }

    // ---- programs and kernels ----

    /** The kernel {@code kernel} of resource {@code program}; compiles the program on first use. Inside an operation. */
    private cl_kernel kernel(String program, String kernel) {
        String key = program + "#" + kernel;
        cl_kernel k = kernels.get(key);
        if (k == null) {
            cl_program p = programs.get(program);
            if (p == null) {
                StringBuilder src = new StringBuilder();
                for (String include : INCLUDES.getOrDefault(program, List.of())) {
                    src.append(source(include)).append('\n');
                }
                src.append(source(program));
                p = Cl.buildProgram(context, device.id(), program, src.toString(),
                        buildOptions.getOrDefault(program, ""));
                programs.put(program, p);
                programBuilds++;
            }
            k = Cl.createKernel(p, kernel);
            kernels.put(key, k);
        }
        return k;
    }

    private static String source(String program) {
        try (InputStream in = ClRuntime.class.getResourceAsStream(program)) {
            if (in == null) throw new IllegalStateException("kernel source dcn4j/opencl/" + program + " not found");
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + program, e);
        }
    }

    /** How many programs this context has compiled: at most one per {@code .cl} resource, whatever the calls. */
    int programBuilds() {
        lock.lock();
        try {
            return programBuilds;
        } finally {
            lock.unlock();
        }
    }

    /** Compiles {@code source} as a throw-away program: lets tests see how build failures are reported. */
    void buildForTest(String name, String source) {
        try (Op op = op()) {
            Cl.release(Cl.buildProgram(context, device.id(), name, source, ""));
            op.finish("build " + name);
        }
    }

    cl_context context() {
        return context;
    }

    /** Starts setting the arguments of a kernel; inside an operation. */
    KernelCall call(String program, String kernel) {
        if (!lock.isHeldByCurrentThread() || depth == 0) {
            throw new IllegalStateException("internal: kernel " + kernel + " called outside an operation");
        }
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

    /** Switches launch shapes, so that tests run the GPU paths on a CPU device too. */
    void useGpuStyle(boolean gpu) {
        lock.lock();
        try {
            gpuStyle = gpu;
            widths.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Arguments set in order, then one enqueue; buffers are held by the running operation. */
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
            Cl.setArg(kernel, name, index++, Sizeof.cl_mem, Pointer.to(hold(b)));
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
            ObjLongConsumer<String> timer = kernelTimer;
            long t0 = timer == null ? 0 : System.nanoTime();
            Cl.enqueue(queue, kernel, name, global, local);
            if (timer != null) {
                Cl.finish(queue, name);
                timer.accept(name, System.nanoTime() - t0);
            }
        }
    }

    // ---- lifecycle ----

    boolean isClosed() {
        return closed;
    }

    /**
     * Waits for the running operation, then frees every buffer still alive (tensors included), the
     * kernels, programs, queue and context. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            if (depth > 0) throw new IllegalStateException("the opencl backend cannot be closed inside one of its operations");
            try {
                Cl.finish(queue, "close");
            } catch (OpenClException ignored) {
                // freeing below is still right: the context goes away with everything in it
            }
            synchronized (bufferLock) {
                closed = true;
                for (ClBuffer b : new ArrayList<>(live)) {
                    b.released = true;
                    b.held = false;
                    free(b);
                }
                holds.clear();
            }
            for (cl_kernel k : kernels.values()) Cl.release(k);
            for (cl_program p : programs.values()) Cl.release(p);
            kernels.clear();
            programs.clear();
            Cl.release(queue);
            Cl.release(context);
        } finally {
            lock.unlock();
        }
    }
}
