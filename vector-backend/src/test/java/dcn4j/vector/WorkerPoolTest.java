package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The pool's contract (class comment of {@link WorkerPool}): every item of a phase runs exactly once, on a worker
 * index below the parallelism, before {@code forEach} returns; a failing item fails the phase; callers sharing
 * a pool each get their own items; a closed pool still runs the caller's items and then says it was closed; an
 * idle helper spins as long as it was told ({@code -Ddcn4j.vector.spinMicros}), then parks, and ends on close.
 */
class WorkerPoolTest {

    @Test
    void everyItemRunsOnceBeforeForEachReturns() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int phase = 0; phase < 2000; phase++) {
                int count = 1 + phase % 7;
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                AtomicIntegerArray badWorker = new AtomicIntegerArray(1);
                pool.forEach(count, (i, w) -> {
                    runs.incrementAndGet(i);
                    if (w < 0 || w >= 3) badWorker.set(0, 1);
                });
                for (int i = 0; i < count; i++) assertEquals(1, runs.get(i), "phase " + phase + ", item " + i);
                assertEquals(0, badWorker.get(0), "worker index out of range");
            }
        }
    }

    @Test
    void aFailingItemFailsThePhaseAndThePoolGoesOn() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalArgumentException boom = new IllegalArgumentException("item 3");
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () -> pool.forEach(8, (i, w) -> {
                if (i == 3) throw boom;
            }));
            assertSame(boom, thrown);
            AtomicIntegerArray runs = new AtomicIntegerArray(5);
            pool.forEach(5, (i, w) -> runs.incrementAndGet(i));
            for (int i = 0; i < 5; i++) assertEquals(1, runs.get(i));
        }
    }

    @Test
    void callersSharingAPoolEachGetTheirOwnItems() throws Exception {
        try (WorkerPool pool = new WorkerPool(3)) {
            List<CompletableFuture<Long>> callers = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int caller = c;
                callers.add(CompletableFuture.supplyAsync(() -> {
                    long total = 0;
                    for (int phase = 0; phase < 500; phase++) {
                        long[] sums = new long[16];
                        pool.forEach(16, (i, w) -> sums[i] = (long) caller * 1000 + i);
                        for (long s : sums) total += s;
                    }
                    return total;
                }));
            }
            for (int c = 0; c < 4; c++) {
                long expected = 500L * (16L * c * 1000 + 120);
                assertEquals(expected, callers.get(c).get(60, TimeUnit.SECONDS), "caller " + c);
            }
        }
    }

    @Test
    void aClosedPoolRunsTheItemsThenSaysItWasClosed() {
        WorkerPool pool = new WorkerPool(4);
        pool.close();
        AtomicIntegerArray runs = new AtomicIntegerArray(6);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forEach(6, (i, w) -> runs.incrementAndGet(i)));
        assertTrue(e.getMessage().startsWith("backend 'vector'"), e.getMessage());
        for (int i = 0; i < 6; i++) assertEquals(1, runs.get(i), "item " + i + " ran by the caller");
    }

    @Test
    void theHelperSpinIsTheSystemPropertysMicroseconds() {
        assertEquals(WorkerPool.SPIN_NANOS, WorkerPool.helperSpinNanos(null));
        assertEquals(WorkerPool.SPIN_NANOS, WorkerPool.helperSpinNanos(" "));
        assertEquals(0, WorkerPool.helperSpinNanos("0"));
        assertEquals(20_000_000, WorkerPool.helperSpinNanos(" 20000 "));
        assertEquals(WorkerPool.MAX_SPIN_MICROS * 1000,
                WorkerPool.helperSpinNanos(Long.toString(WorkerPool.MAX_SPIN_MICROS)));
        for (String bad : new String[] {"-1", "10000001", "20ms", "1e3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WorkerPool.helperSpinNanos(bad));
            assertEquals("dcn4j.vector.spinMicros: expected microseconds from 0 to 10000000, got '" + bad + "'",
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(2, -1));
    }

    @Test
    void anIdleHelperSpinsForItsSpinThenParks() throws Exception {
        // A spin of 60 s: 100 ms after a phase the helper still spins (RUNNABLE), never parked (WAITING).
        try (WorkerPool pool = new WorkerPool(2, 60_000_000_000L)) {
            pool.forEach(4, (i, w) -> { });
            Thread.sleep(100);
            assertEquals(Thread.State.RUNNABLE, pool.helperState(1));
            assertEquals(60_000_000_000L, pool.helperSpinNanos());
        }
        // No spin: the helper parks once the phase is over. Polled until it is seen parked ten times in a row, 5 ms
        // apart: it may not have got there yet, and a helper still parked from before the phase, seen WAITING, can
        // wake afterwards to the phase's unpark (a vCPU takes time to wake) and pass through RUNNABLE once more.
        try (WorkerPool pool = new WorkerPool(2, 0)) {
            pool.forEach(4, (i, w) -> { });
            long until = System.nanoTime() + 10_000_000_000L;
            int parkedInARow = 0;
            while (parkedInARow < 10 && System.nanoTime() < until) {
                parkedInARow = pool.helperState(1) == Thread.State.WAITING ? parkedInARow + 1 : 0;
                Thread.sleep(5);
            }
            assertEquals(10, parkedInARow, "polls in a row that saw the helper parked (WAITING)");
        }
    }

    @Test
    void closingEndsASpinningHelper() throws Exception {
        WorkerPool pool = new WorkerPool(3, 60_000_000_000L);
        pool.forEach(6, (i, w) -> { });
        pool.close();
        assertTrue(pool.helperEnded(1, 10_000), "helper 1 still alive 10 s after close");
        assertTrue(pool.helperEnded(2, 10_000), "helper 2 still alive 10 s after close");
    }
}
