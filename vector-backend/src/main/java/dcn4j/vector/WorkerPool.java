package dcn4j.vector;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend's fixed set of worker threads: {@code parallelism - 1} daemon threads plus the calling
 * thread. {@link #forEach} runs the items of one phase, handing them out dynamically, and returns when
 * all are done (a barrier between phases).
 *
 * <p>Results never depend on which worker runs an item: callers split work so that items write
 * disjoint memory and fix every reduction order inside an item (DESIGN.md "Determinism and threads").
 * Any number of callers may share one pool at once; a caller waits only for its own items, and items
 * never block, so concurrent calls cannot deadlock.
 */
final class WorkerPool implements AutoCloseable {

    /** One item of a phase; {@code worker} in {@code [0, parallelism)} indexes per-worker scratch. */
    @FunctionalInterface
    interface Item {
        void run(int item, int worker);
    }

    private final int parallelism;
    private final ExecutorService helpers;

    WorkerPool(int parallelism) {
        if (parallelism < 1) throw new IllegalArgumentException("threads: expected >= 1, got " + parallelism);
        this.parallelism = parallelism;
        if (parallelism == 1) {
            helpers = null;
        } else {
            AtomicInteger id = new AtomicInteger();
            helpers = new ThreadPoolExecutor(parallelism - 1, parallelism - 1, 0, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "dcn4j-vector-" + id.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
        }
    }

    /** Workers that may run items at once (the size of per-worker scratch arrays). */
    int parallelism() {
        return parallelism;
    }

    /** Runs {@code body} for items {@code 0 .. count-1} and returns when every one has finished. */
    void forEach(int count, Item body) {
        if (count <= 0) return;
        int extra = Math.min(parallelism, count) - 1;
        if (extra == 0) {
            for (int i = 0; i < count; i++) body.run(i, 0);
            return;
        }
        Phase phase = new Phase(count, body, Thread.currentThread());
        boolean closed = false;
        for (int w = 1; w <= extra && !closed; w++) {
            int worker = w;
            try {
                helpers.execute(() -> phase.work(worker));
            } catch (RejectedExecutionException e) {
                closed = true;
            }
        }
        // The caller takes every item no helper took, so the phase ends even when the pool was shut
        // down under it (queued helpers dropped): never a hang, and no helper still writes afterwards.
        phase.work(0);
        phase.await();
        if (closed) throw new IllegalStateException("backend 'vector' was closed during the call");
    }

    @Override
    public void close() {
        if (helpers != null) helpers.shutdownNow();
    }

    /** The shared state of one {@link #forEach} call. */
    private static final class Phase {
        private final int count;
        private final Item body;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger finished = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Phase(int count, Item body, Thread caller) {
            this.count = count;
            this.body = body;
            this.caller = caller;
        }

        void work(int worker) {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                try {
                    if (failure.get() == null) body.run(i, worker);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (finished.incrementAndGet() == count) LockSupport.unpark(caller);
                }
            }
        }

        void await() {
            while (finished.get() < count) LockSupport.park(this);
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
