package dcn4j.vector;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend's fixed set of worker threads: {@code parallelism - 1} daemon helper threads plus the calling
 * thread. {@link #forEach} runs the items of one phase, handing them out dynamically, and returns when
 * all are done (a barrier between phases).
 *
 * <p>A call is a sequence of phases (the backward pass has five per image), and a parked thread takes tens of
 * microseconds to wake on a virtual machine. So a helper that runs out of work, and a caller waiting for its
 * phase to end, first spin for about {@link #SPIN_NANOS} before parking: within a call the next phase
 * arrives before the spin ends, and between calls the helpers park. (With a thread pool that parked at once,
 * the 8x64x28x28 backward took 1.2x, not 1.9x, less time on 2 threads than on 1.) A helper's spin can be made
 * longer ({@value #SPIN_PROPERTY}), so that helpers stay awake across the gap between two calls: on a virtual
 * machine a call after some milliseconds of idle otherwise runs mostly on the caller while the helpers' virtual
 * CPUs wake (DESIGN.md "Threads").
 *
 * <p>Results never depend on which worker runs an item: callers split work so that items write
 * disjoint memory and fix every reduction order inside an item (DESIGN.md "Determinism and threads").
 * Any number of callers may share one pool at once; a caller waits only for its own items, and an item
 * waits for nothing but items of its own phase that come before it (handed out in order, so they are taken and
 * running, and such items wait for nothing), so concurrent calls cannot deadlock: a caller takes every item of
 * its phase that no helper took, whether or not a helper ever looks at it.
 */
final class WorkerPool implements AutoCloseable {

    /** One item of a phase; {@code worker} in {@code [0, parallelism)} indexes per-worker scratch. */
    @FunctionalInterface
    interface Item {
        void run(int item, int worker);
    }

    /** How long a caller waiting for its phase spins before parking, and an idle helper by default. */
    static final long SPIN_NANOS = 50_000;
    /** System property: how long, in microseconds, an idle helper spins before parking (default 50). */
    static final String SPIN_PROPERTY = "dcn4j.vector.spinMicros";
    /** The longest helper spin the property accepts: 10 s. */
    static final long MAX_SPIN_MICROS = 10_000_000;

    private final int parallelism;
    private final long helperSpinNanos;
    private final Helper[] helpers;
    private volatile boolean closed;

    WorkerPool(int parallelism) {
        this(parallelism, SPIN_NANOS);
    }

    /** With helpers that spin {@code helperSpinNanos} (at least 0) for work before they park. */
    WorkerPool(int parallelism, long helperSpinNanos) {
        if (parallelism < 1) throw new IllegalArgumentException("threads: expected >= 1, got " + parallelism);
        if (helperSpinNanos < 0) {
            throw new IllegalArgumentException("helperSpinNanos: expected >= 0, got " + helperSpinNanos);
        }
        this.parallelism = parallelism;
        this.helperSpinNanos = helperSpinNanos;
        helpers = new Helper[parallelism - 1];
        for (int w = 1; w < parallelism; w++) {
            helpers[w - 1] = new Helper(w);
            helpers[w - 1].thread.start();
        }
    }

    /**
     * The helper spin from {@code -D}{@value #SPIN_PROPERTY} (microseconds, 0 to {@value #MAX_SPIN_MICROS}), in
     * nanoseconds; {@link #SPIN_NANOS} when it is not set.
     */
    static long helperSpinNanosFromSystemProperty() {
        return helperSpinNanos(System.getProperty(SPIN_PROPERTY));
    }

    /** {@link #helperSpinNanosFromSystemProperty()} for the property's value {@code v} (null when not set). */
    static long helperSpinNanos(String v) {
        if (v == null || v.isBlank()) return SPIN_NANOS;
        long micros;
        try {
            micros = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            micros = -1;
        }
        if (micros < 0 || micros > MAX_SPIN_MICROS) {
            throw new IllegalArgumentException(SPIN_PROPERTY + ": expected microseconds from 0 to " + MAX_SPIN_MICROS
                    + ", got '" + v + "'");
        }
        return micros * 1000;
    }

    /** How long an idle helper spins for work before it parks, in nanoseconds. */
    long helperSpinNanos() {
        return helperSpinNanos;
    }

    /** The state of helper {@code worker} ({@code 1 .. parallelism-1}): RUNNABLE while it works or spins. */
    Thread.State helperState(int worker) {
        return helpers[worker - 1].thread.getState();
    }

    /** Waits at most {@code millis} for helper {@code worker} to end (after {@link #close()}); whether it did. */
    boolean helperEnded(int worker, long millis) throws InterruptedException {
        Thread t = helpers[worker - 1].thread;
        t.join(millis);
        return !t.isAlive();
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
        for (int w = 1; w <= extra; w++) helpers[w - 1].offer(phase);
        // The caller takes every item no helper took, so the phase ends even when the pool was closed
        // under it (its helpers gone): never a hang, and no helper still writes afterwards.
        phase.work(0);
        phase.await();
        if (closed) throw new IllegalStateException("backend 'vector' was closed during the call");
    }

    @Override
    public void close() {
        closed = true;
        for (Helper h : helpers) LockSupport.unpark(h.thread);
    }

    /** A helper thread and the phases offered to it, in order. */
    private final class Helper implements Runnable {
        final int worker;
        final Thread thread;
        final ConcurrentLinkedQueue<Phase> phases = new ConcurrentLinkedQueue<>();
        volatile boolean parked;

        Helper(int worker) {
            this.worker = worker;
            thread = new Thread(this, "dcn4j-vector-" + worker);
            thread.setDaemon(true);
        }

        void offer(Phase phase) {
            phases.add(phase);
            // The helper sets parked before its last look at the queue: either it sees this phase, or we
            // see parked and wake it.
            if (parked) LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (!closed) {
                Phase phase = phases.poll();
                if (phase != null) {
                    phase.work(worker);
                    continue;
                }
                long until = System.nanoTime() + helperSpinNanos;
                while (phases.isEmpty() && !closed && System.nanoTime() < until) Thread.onSpinWait();
                if (!phases.isEmpty()) continue;
                parked = true;
                if (phases.isEmpty() && !closed) LockSupport.park(this);
                parked = false;
            }
        }
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
            long until = System.nanoTime() + SPIN_NANOS;
            while (finished.get() < count && System.nanoTime() < until) Thread.onSpinWait();
            while (finished.get() < count) LockSupport.park(this);
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
