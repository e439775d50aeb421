package dcn4j.onnxruntime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dcn4j.spi.DeformConv2dShape;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX Runtime session per call shape ({@link DeformConvModel}: spec, input and weight shapes,
 * mask and bias present or not), created on first use and kept for the next call of that shape.
 * At most {@value #CAPACITY} are kept, the least recently used leaving first; a session leaves
 * only when no call is running on it (a session closed under a running call would free memory
 * the native kernel still reads). Thread-safe.
 */
final class SessionCache implements AutoCloseable {

    static final int CAPACITY = 32;

    /** A session and the calls running on it. */
    static final class Entry {
        final OrtSession session;
        private int users;
        private boolean evicted;

        Entry(OrtSession session) {
            this.session = session;
        }
    }

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final LinkedHashMap<DeformConv2dShape, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long created;
    private int building;
    private boolean closed;

    SessionCache(OrtEnvironment env, OrtSession.SessionOptions options) {
        this.env = env;
        this.options = options;
    }

    /** The session of {@code key}, made if needed, held until {@link #release}. */
    Entry acquire(DeformConv2dShape key) throws OrtException {
        synchronized (this) {
            if (closed) throw new IllegalStateException("backend '" + OnnxRuntimeProvider.NAME + "' is closed");
            Entry e = entries.get(key);
            if (e != null) {
                e.users++;
                return e;
            }
            building++;
        }
        // Build outside the lock: creating a session parses and plans the model.
        OrtSession made;
        try {
            made = env.createSession(DeformConvModel.of(key), options);
        } finally {
            doneBuilding();
        }
        List<Entry> toClose = new ArrayList<>();
        Entry result;
        synchronized (this) {
            if (closed) {
                made.close();
                throw new IllegalStateException("backend '" + OnnxRuntimeProvider.NAME + "' is closed");
            }
            Entry e = entries.get(key);
            if (e != null) {
                toClose.add(new Entry(made));  // another caller made it meanwhile
                result = e;
            } else {
                result = new Entry(made);
                entries.put(key, result);
                created++;
                for (Iterator<Entry> it = entries.values().iterator(); entries.size() > CAPACITY && it.hasNext(); ) {
                    Entry old = it.next();
                    if (old == result) continue;
                    it.remove();
                    old.evicted = true;
                    if (old.users == 0) toClose.add(old);
                }
            }
            result.users++;
        }
        for (Entry e : toClose) e.session.close();
        return result;
    }

    /** The options outlive every session build: the last build after {@link #close()} closes them. */
    private void doneBuilding() {
        boolean closeOptions;
        synchronized (this) {
            building--;
            closeOptions = closed && building == 0;
        }
        if (closeOptions) options.close();
    }

    /** Ends a call on {@code e}; closes its session if it was evicted meanwhile. */
    void release(Entry e) throws OrtException {
        boolean close;
        synchronized (this) {
            e.users--;
            close = e.users == 0 && (e.evicted || closed);
        }
        if (close) e.session.close();
    }

    /** Sessions made so far (a call of a shape already seen makes none). */
    synchronized long created() {
        return created;
    }

    /** Sessions held now. */
    synchronized int size() {
        return entries.size();
    }

    @Override
    public void close() {
        List<Entry> idle = new ArrayList<>();
        boolean closeOptions;
        synchronized (this) {
            if (closed) return;
            closed = true;
            for (Entry e : entries.values()) if (e.users == 0) idle.add(e);
            entries.clear();
            closeOptions = building == 0;
        }
        if (closeOptions) options.close();
        for (Entry e : idle) {
            try {
                e.session.close();
            } catch (OrtException ex) {
                throw new IllegalStateException("onnxruntime: closing a session failed: " + ex.getMessage(), ex);
            }
        }
    }
}
