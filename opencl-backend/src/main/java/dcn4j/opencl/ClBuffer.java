package dcn4j.opencl;

import org.jocl.cl_mem;

/**
 * One device buffer, registered with its backend while alive so that device memory in use can be
 * accounted for ({@link OpenClBackend#liveBuffers()}) and everything is released when the backend
 * closes. {@link #release()} is idempotent and may run on any thread (the {@link java.lang.ref.Cleaner}'s
 * included); it never references the tensor that owns it, so it can serve as a cleaning action.
 */
final class ClBuffer implements Runnable {

    private final OpenClBackend owner;
    private final cl_mem mem;
    private final long bytes;
    private final String what;
    private boolean released;

    ClBuffer(OpenClBackend owner, cl_mem mem, long bytes, String what) {
        this.owner = owner;
        this.mem = mem;
        this.bytes = bytes;
        this.what = what;
    }

    /** The memory object; {@link IllegalStateException} once released. */
    synchronized cl_mem mem() {
        if (released) throw new IllegalStateException(what + " is closed (its device buffer was released)");
        return mem;
    }

    long bytes() {
        return bytes;
    }

    String what() {
        return what;
    }

    synchronized boolean isReleased() {
        return released;
    }

    /** Releases the device memory once; later calls do nothing. */
    void release() {
        synchronized (this) {
            if (released) return;
            released = true;
        }
        owner.forget(this);
        Cl.release(mem);
    }

    /** The cleaning action: {@link #release()}. */
    @Override
    public void run() {
        release();
    }
}
