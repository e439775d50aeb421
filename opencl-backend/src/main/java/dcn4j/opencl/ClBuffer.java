package dcn4j.opencl;

import org.jocl.cl_mem;

/**
 * One device buffer of a {@link ClRuntime}, registered while alive so that device memory in use
 * can be accounted for and everything is freed when the runtime closes. Its memory object is
 * reached only through the runtime, inside an operation that holds the buffer until it ends
 * (DESIGN.md "OpenCL runtime"). {@link #release()} is idempotent, may run on any thread (the
 * {@link java.lang.ref.Cleaner}'s included) and never blocks on a running operation: a buffer an
 * operation holds is freed when that operation ends. It never references the tensor that owns
 * it, so it can serve as a cleaning action.
 */
final class ClBuffer implements Runnable {

    final ClRuntime runtime;
    /** The memory object; used by the runtime only, under its buffer lock or inside an operation. */
    final cl_mem mem;
    private final long bytes;
    private final String what;
    /** Guarded by the runtime's buffer lock: release requested; held by the running operation; memory freed. */
    boolean released, held, freed;

    ClBuffer(ClRuntime runtime, cl_mem mem, long bytes, String what) {
        this.runtime = runtime;
        this.mem = mem;
        this.bytes = bytes;
        this.what = what;
    }

    long bytes() {
        return bytes;
    }

    String what() {
        return what;
    }

    /** Whether {@link #release()} was called (or the runtime closed): no operation may start using it. */
    boolean isReleased() {
        return runtime.isReleased(this);
    }

    /** Releases the device memory once, now or, while an operation holds it, when that operation ends. */
    void release() {
        runtime.release(this);
    }

    /** The cleaning action: {@link #release()}. */
    @Override
    public void run() {
        release();
    }
}
