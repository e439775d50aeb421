package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Device buffers, kernels, queues and host handles are released: 10,000 forward + backward calls
 * leave the backend's live buffers, the process's file descriptors, OS threads and native memory
 * where they were; tensors dropped without {@code close()} are released by the cleaner; closing
 * the backend releases everything it still holds.
 */
class OpenClResourceTest {

    private static final ConvCase TINY = LeakProbe.CONV;

    @Test
    void tenThousandForwardBackwardCallsLeakNothing() throws Exception {
        OpenClTestSupport.requireOpenCl();
        // In a child JVM with a fixed, pre-touched Java heap: its resident memory then only grows
        // with native allocations. One round = conv forward + backward + PS RoI pooling forward +
        // backward, ~30 device buffers of ~0.1 MiB in all: leaked 10,000 times, ~1 GiB.
        ChildJvm.Result r = ChildJvm.run(List.of("-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"),
                Map.of(), LeakProbe.class, "10000");
        assertEquals(0, r.exitCode(), r.output());
        String line = r.output().lines().filter(l -> l.startsWith("buffers=")).findFirst()
                .orElseThrow(() -> new AssertionError("no result line in:\n" + r.output()));
        System.out.println("[opencl leak test] 10000 rounds, before:after " + line);
        Map<String, long[]> m = new HashMap<>();
        for (String kv : line.split(" ")) {
            String[] p = kv.split("[=:]");
            m.put(p[0], new long[] {Long.parseLong(p[1]), Long.parseLong(p[2])});
        }
        assertEquals(m.get("buffers")[0], m.get("buffers")[1], "live device buffers");
        assertEquals(m.get("midBuffers")[0], m.get("midBuffers")[1], "live device buffers half-way");
        assertEquals(m.get("bytes")[0], m.get("bytes")[1], "live device bytes");
        assertEquals(m.get("fds")[0], m.get("fds")[1], "open file descriptors");
        assertTrue(m.get("threads")[1] <= m.get("threads")[0] + 2, "OS threads " + line);
        // A leak grows linearly: leaking only the small buffers of each round (the output tensors,
        // a few KiB) adds ~70 MiB over the second 5,000 rounds, all of a round's buffers ~0.5 GiB.
        // The JVM and the OpenCL runtime may still take up to ~30 MiB once (JIT code, allocator
        // arenas), at any point of the run.
        long grown = m.get("rssKiB")[1] - m.get("rssKiB")[0];
        long secondHalf = m.get("secondHalfRssKiB")[1] - m.get("secondHalfRssKiB")[0];
        assertTrue(secondHalf < 32 * 1024, "resident memory grew by " + secondHalf + " KiB over the last 5,000 rounds");
        assertTrue(grown < 96 * 1024, "resident memory grew by " + grown + " KiB over 10,000 rounds");
    }

    @Test
    void droppedTensorsAreReleasedByTheCleaner() throws InterruptedException {
        try (OpenClBackend cl = OpenClTestSupport.open()) {
            Tensor[] a = TINY.tensors(cl);
            // One call first: the scratch workspace it keeps is not a leak.
            TINY.forward(cl, a).close();
            TINY.backward(cl, a, Gradient.all()).close();
            int before = cl.liveBuffers();
            for (int i = 0; i < 500; i++) {
                TINY.forward(cl, a);                         // output never closed
                TINY.backward(cl, a, Gradient.all());        // gradients never closed
            }
            assertTrue(cl.liveBuffers() > before, "dropped outputs are alive until collected");
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (cl.liveBuffers() > before && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(50);
            }
            assertEquals(before, cl.liveBuffers(), "buffers of unreachable tensors released");
            assertEquals(TINY.weight().length, a[3].toFloatArray().length, "reachable tensors untouched");
        }
    }

    @Test
    void closingTheBackendReleasesEverything() {
        OpenClBackend cl = OpenClTestSupport.open();
        Tensor[] a = TINY.tensors(cl);
        Tensor out = TINY.forward(cl, a);
        assertTrue(cl.liveBuffers() > 0);
        cl.close();
        cl.close(); // idempotent
        assertEquals(0, cl.liveBuffers());
        assertEquals(0, cl.liveBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, out::toFloatArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> cl.tensor(new int[] {1}, new float[] {1}));
        out.close(); // closing after the backend: no effect, no crash
    }
}
