package dcn4j.opencl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Scratch device buffers kept between calls, one per role ("columns", "sample corners", ...),
 * grown when a call needs more and otherwise reused, so that repeated calls neither allocate nor
 * page-fault large buffers again. Used only inside the runtime's operations (one at a time), and
 * bounded: each role holds at most what one chunk of one call needs, and a chunk is sized to the
 * workspace budget ({@link OpenClDeformConv2d#WORKSPACE_BUDGET}) and to the largest allocation the
 * device allows ({@link ClRuntime#maxAlloc()}). Released with the runtime.
 */
final class Workspace {

    private final ClRuntime runtime;
    private final Map<String, ClBuffer> buffers = new LinkedHashMap<>();

    Workspace(ClRuntime runtime) {
        this.runtime = runtime;
    }

    /** A buffer of at least {@code floats} elements for {@code role}; its contents are undefined. */
    ClBuffer get(String role, long floats) {
        long bytes = Math.max(1, floats) * 4;
        ClBuffer b = buffers.get(role);
        if (b == null || b.isReleased() || b.bytes() < bytes) {
            if (b != null) b.release(); // freed when the operation that may still use it ends
            b = null; // a failed allocation must not leave a released buffer in the map
            buffers.remove(role);
            b = runtime.allocate(floats, null, "workspace " + role);
            buffers.put(role, b);
        }
        return b;
    }

    /** Bytes held now. */
    long bytes() {
        long n = 0;
        for (ClBuffer b : buffers.values()) n += b.bytes();
        return n;
    }

    /** Bytes of the largest buffer held now. */
    long largest() {
        long n = 0;
        for (ClBuffer b : buffers.values()) n = Math.max(n, b.bytes());
        return n;
    }

    int count() {
        return buffers.size();
    }

    /** Releases every buffer (the runtime's close, or tests). */
    void release() {
        for (ClBuffer b : new ArrayList<>(buffers.values())) b.release();
        buffers.clear();
    }
}
