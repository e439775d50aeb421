package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DeformConv2dSpec;
import dcn4j.Tensor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code close()} while another thread computes: the call ends, either with its result (the close came
 * after its last parallel phase) or with {@link IllegalStateException} naming the closed backend; never a
 * raw RejectedExecutionException, never a hang.
 */
class VectorCloseDuringCallTest {

    @Test
    void closeDuringACallEndsItWithIllegalStateException() throws Exception {
        int failures = 0;
        for (int attempt = 0; attempt < 8; attempt++) {
            Backend b = new VectorProvider().open(BackendOptions.defaults().withThreads(4));
            DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
            Tensor in = b.tensor(new int[] {8, 16, 24, 24}, new float[8 * 16 * 24 * 24]);
            Tensor off = b.tensor(new int[] {8, 18, 24, 24}, new float[8 * 18 * 24 * 24]);
            Tensor w = b.tensor(new int[] {16, 16, 3, 3}, new float[16 * 16 * 9]);
            CompletableFuture<Throwable> call = CompletableFuture.supplyAsync(() -> {
                try {
                    for (int i = 0; i < 50; i++) b.deformConv2d(spec, in, off, null, w, null).close();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            Thread.sleep(20 + 10 * attempt);
            b.close();
            Throwable t = call.get(60, TimeUnit.SECONDS);  // a hang fails here
            if (t == null) continue;
            assertEquals(IllegalStateException.class, t.getClass(), String.valueOf(t));
            assertTrue(t.getMessage().startsWith("backend 'vector'"), t.getMessage());
            failures++;
        }
        assertTrue(failures > 0, "no call was caught by the close: the test did not exercise it");
    }
}
