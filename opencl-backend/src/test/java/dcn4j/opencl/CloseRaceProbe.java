package dcn4j.opencl;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import dcn4j.conformance.ConvCase.OffsetStyle;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The body of the close-race test, run in a child JVM because the fault it looks for aborts the
 * JVM: one thread runs operations (convolution forward, a read back) while another closes a tensor
 * they read, or the whole backend, at a random moment of the operation. Every operation must
 * either succeed or fail with {@link IllegalStateException}; anything else is printed and the exit
 * code is 1. Prints {@code closeRace ok=N rejected=M backendCloses=B}.
 *
 * <p>Arguments: tensor rounds, backend rounds, seconds (an upper bound: stops early when spent).
 */
public final class CloseRaceProbe {

    /** A few milliseconds per forward on a CPU device: long enough for a close to land inside. */
    static final ConvCase CASE = new ConvCase(2, 16, 24, 24, 16, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1),
            true, true, true, OffsetStyle.SMALL, 5);

    private CloseRaceProbe() {
    }

    public static void main(String[] args) throws Exception {
        int tensorRounds = Integer.parseInt(args[0]);
        int backendRounds = Integer.parseInt(args[1]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
        int ok = 0, rejected = 0, rounds = 0, backendCloses = 0;
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try {
            try (Backend cl = Backends.open(OpenClProvider.NAME)) {
                long opNanos = timeOneForward(cl);
                for (int i = 0; i < tensorRounds && System.nanoTime() < deadline; i++, rounds++) {
                    Tensor[] a = CASE.tensors(cl);
                    int victim = new int[] {0, 1, 2, 3}[i % 4]; // input, offset, mask, weight
                    boolean read = i % 5 == 4;
                    Future<?> op = worker.submit(() -> {
                        if (read) return a[victim].toFloatArray();
                        try (Tensor out = CASE.forward(cl, a)) {
                            return out.toFloatArray();
                        }
                    });
                    // Early in the operation: its kernels are enqueued and waiting, where a buffer released
                    // under them aborted PoCL in every run (closing anywhere in the operation: ~1 in 2 runs).
                    spin(ThreadLocalRandom.current().nextLong(opNanos / 3 + 1));
                    a[victim].close();
                    if (outcome(op)) ok++;
                    else rejected++;
                    for (Tensor t : a) if (t != null) t.close();
                }
            }
            for (int i = 0; i < backendRounds && System.nanoTime() < deadline; i++, backendCloses++) {
                Backend cl = Backends.open(OpenClProvider.NAME);
                long opNanos = timeOneForward(cl);
                Tensor[] a = CASE.tensors(cl);
                Future<?> op = worker.submit(() -> {
                    for (int k = 0; k < 3; k++) CASE.forward(cl, a).toFloatArray();
                    return null;
                });
                spin(ThreadLocalRandom.current().nextLong(3 * opNanos + 1));
                cl.close();
                if (outcome(op)) ok++;
                else rejected++;
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.println("closeRace ok=" + ok + " rejected=" + rejected + " tensorRounds=" + rounds
                + " backendCloses=" + backendCloses);
    }

    private static long timeOneForward(Backend cl) {
        Tensor[] a = CASE.tensors(cl);
        CASE.forward(cl, a).close(); // programs built
        long t0 = System.nanoTime();
        CASE.forward(cl, a).toFloatArray();
        long ns = System.nanoTime() - t0;
        for (Tensor t : a) if (t != null) t.close();
        return ns;
    }

    /** True when the operation succeeded, false when it was refused with IllegalStateException. */
    private static boolean outcome(Future<?> op) throws InterruptedException {
        try {
            op.get(60, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IllegalStateException) return false;
            System.out.println("unexpected failure: " + e.getCause());
            e.getCause().printStackTrace(System.out);
            System.exit(1);
            return false;
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println("operation hung for 60 s");
            System.exit(1);
            return false;
        }
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }
}
