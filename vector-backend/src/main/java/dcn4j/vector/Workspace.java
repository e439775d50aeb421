package dcn4j.vector;

import java.util.HashMap;
import java.util.Map;

/**
 * Scratch arrays of one call, reused across calls. A call takes a workspace from its backend, asks
 * for every array it needs before starting any phase (workers only use arrays handed to them, so the
 * map is touched by one thread), and gives it back. Arrays only grow; {@link #bytes()} is the memory
 * held, which the backend reports as its peak workspace.
 *
 * <p>Contents are unspecified on return from {@link #floats}: callers zero what they accumulate into.
 */
final class Workspace {

    private final Map<String, float[]> floats = new HashMap<>();
    private final Map<String, int[]> ints = new HashMap<>();

    /** An array of at least {@code size} floats for {@code key}. */
    float[] floats(String key, long size) {
        int n = checkedSize(key, size);
        float[] a = floats.get(key);
        if (a == null || a.length < n) {
            a = new float[n];
            floats.put(key, a);
        }
        return a;
    }

    /** An array of at least {@code size} ints for {@code key}. */
    int[] ints(String key, long size) {
        int n = checkedSize(key, size);
        int[] a = ints.get(key);
        if (a == null || a.length < n) {
            a = new int[n];
            ints.put(key, a);
        }
        return a;
    }

    /** One array per worker, each of at least {@code size} floats. */
    float[][] perWorker(String key, int workers, long size) {
        float[][] a = new float[workers][];
        for (int w = 0; w < workers; w++) a[w] = floats(key + "#" + w, size);
        return a;
    }

    /** Bytes held by all arrays of this workspace. */
    long bytes() {
        long b = 0;
        for (float[] a : floats.values()) b += 4L * a.length;
        for (int[] a : ints.values()) b += 4L * a.length;
        return b;
    }

    private static int checkedSize(String key, long size) {
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("workspace '" + key + "': expected at most " + (Integer.MAX_VALUE - 8)
                    + " elements, got " + size + " (the operands are too large for one call)");
        }
        return (int) size;
    }
}
