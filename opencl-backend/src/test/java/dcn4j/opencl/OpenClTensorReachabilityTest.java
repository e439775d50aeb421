package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dcn4j.DeformConv2dSpec;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A tensor nobody references any more is released by its cleaner; while an operation or a read uses it,
 * it must stay reachable ({@code OpenClBackend.keepReachable}). Stochastic: a thread keeps requesting
 * garbage collections while temporaries are read back and passed inline to operations. Before the fix,
 * CI failed once with "tensor [3, 6, 9, 8] is closed (its device buffer was released)" in
 * {@code result.toFloatArray()} ({@link OpenClBackendTest#fourThreadsGetBitIdenticalResults}). Without
 * the fences this test failed in 1 of 1 runs with 20,000 reads under collection (0 of 1 with 10,000): the JIT
 * must have compiled the read path first. So the reads are first made without collections, until C2 has
 * compiled them, and only then under collection, {@link #COLLECTED_READS} of them or {@link #BUDGET_SECONDS}
 * (a full collection per request made the old form take 6-11 minutes of CI on a busy machine). If this
 * fails, check that every path from a tensor to its buffer ends with a reachability fence on the tensor.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenClTensorReachabilityTest {

    /** Reads made before the collections start, so that the JIT compiles the read path. */
    private static final int WARM_READS = Integer.getInteger("reads", 20_000);
    /** Reads made under constant collection requests (at most: see {@link #BUDGET_SECONDS}). */
    private static final int COLLECTED_READS = 20_000;
    /** Time after which the reads under collection stop (at least 1,000 are made). */
    private static final long BUDGET_SECONDS = 60;

    private OpenClBackend cl;

    @BeforeAll
    void open() {
        cl = OpenClTestSupport.open();
    }

    @AfterAll
    void close() {
        if (cl != null) cl.close();
    }

    @Test
    void temporariesStayAliveWhileReadOrUsedUnderConstantCollection() throws InterruptedException {
        float[] data = {1, 2, 3, 4, 5, 6};
        float[] weight = new float[2 * 1 * 1 * 1];
        weight[0] = 1;
        weight[1] = -1;
        DeformConv2dSpec spec = new DeformConv2dSpec(1, 1, 0, 0, 1, 1, 1, 1);
        // Reads first, without collections, so that the JIT compiles the read path (interpreted code keeps
        // every local alive; compiled code may drop the tensor after fetching its buffer).
        for (int i = 0; i < WARM_READS; i++) {
            assertArrayEquals(data, cl.tensor(new int[] {6}, data).toFloatArray(), "warm-up read " + i);
        }
        // The forward's programs are built before the collections start too: under them, the test is of
        // signal chaining, not of reachability (ClProgramBuildTest; CI failed here once without libjsig).
        forward(spec, data, weight);
        AtomicBoolean done = new AtomicBoolean();
        Thread collector = new Thread(() -> {
            while (!done.get()) System.gc();
        }, "gc-requests");
        collector.setDaemon(true);
        collector.start();
        try {
            long deadline = System.nanoTime() + BUDGET_SECONDS * 1_000_000_000L;
            for (int i = 0; i < COLLECTED_READS && (i < 1_000 || System.nanoTime() < deadline); i++) {
                // No local variable holds the tensor: only the call itself keeps it reachable.
                assertArrayEquals(data, cl.tensor(new int[] {6}, data).toFloatArray(), "read " + i);
            }
            for (int i = 0; i < 200; i++) {
                assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6}, forward(spec, data, weight),
                        "forward " + i);
            }
        } finally {
            done.set(true);
            collector.join();
        }
    }

    /** A 1x1 forward whose tensors are held by no local variable: only the call keeps them reachable. */
    private float[] forward(DeformConv2dSpec spec, float[] data, float[] weight) {
        return cl.deformConv2d(spec, cl.tensor(new int[] {1, 1, 2, 3}, data),
                cl.tensor(new int[] {1, 2, 2, 3}, new float[12]), null,
                cl.tensor(new int[] {2, 1, 1, 1}, weight), null).toFloatArray();
    }
}
