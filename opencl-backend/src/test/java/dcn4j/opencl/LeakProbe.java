package dcn4j.opencl;

import dcn4j.Backends;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.ConvCase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.stream.Stream;

/**
 * The body of the leak test, run in a child JVM whose Java heap is fixed and pre-touched
 * ({@code -Xms = -Xmx}, {@code -XX:+AlwaysPreTouch}), so that growth of its resident memory can only
 * come from native allocations (OpenCL, JOCL). Prints one line of {@code key=before:after} pairs.
 */
public final class LeakProbe {

    /** Small enough for 10,000 rounds in seconds, big enough that one round's workspace (~0.1 MiB of
     * device buffers) leaked 10,000 times would be unmissable. */
    static final ConvCase CONV = new ConvCase(1, 8, 12, 12, 4, 3, 3, new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 1, 1), true,
            true, true, ConvCase.OffsetStyle.SMALL, 3);
    static final DeformPsRoiPoolSpec POOL = new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1);

    private LeakProbe() {
    }

    public static void main(String[] args) throws IOException {
        int rounds = Integer.parseInt(args[0]);
        try (OpenClBackend cl = (OpenClBackend) Backends.open(OpenClProvider.NAME)) {
            Tensor[] a = CONV.tensors(cl);
            Tensor pIn = cl.tensor(new int[] {1, 8, 4, 4}, new float[128]);
            Tensor rois = cl.tensor(new int[] {1, 5}, new float[] {0, 0, 0, 6, 6});
            Tensor pOff = cl.tensor(new int[] {1, 2, 2, 2}, new float[8]);
            Tensor pGo = cl.tensor(new int[] {1, 2, 2, 2}, new float[8]);
            // Warm-up: programs built, kernels created, JIT code cache and native allocator settled
            // (resident memory is flat after ~4,000 rounds; it grows by ~30 MiB before).
            for (int i = 0; i < 4000; i++) round(cl, a, pIn, rois, pOff, pGo);
            System.gc();
            int buffers = cl.liveBuffers();
            long bytes = cl.liveBytes(), fds = fds(), threads = status("Threads:"), rss = status("VmRSS:");
            int midBuffers = -1;
            long midRss = -1;
            for (int i = 0; i < rounds; i++) {
                round(cl, a, pIn, rois, pOff, pGo);
                if (i == rounds / 2) {
                    midBuffers = cl.liveBuffers();
                    midRss = status("VmRSS:");
                }
            }
            System.gc();
            System.out.println("buffers=" + buffers + ":" + cl.liveBuffers() + " midBuffers=" + buffers + ":" + midBuffers
                    + " bytes=" + bytes + ":" + cl.liveBytes() + " fds=" + fds + ":" + fds() + " threads=" + threads
                    + ":" + status("Threads:") + " rssKiB=" + rss + ":" + status("VmRSS:") + " secondHalfRssKiB="
                    + midRss + ":" + status("VmRSS:"));
        }
    }

    static void round(OpenClBackend cl, Tensor[] a, Tensor pIn, Tensor rois, Tensor pOff, Tensor pGo) {
        CONV.forward(cl, a).close();
        try (DeformConv2dGradients g = CONV.backward(cl, a, Gradient.all())) {
            if (g.input() == null) throw new AssertionError("no input gradient");
        }
        cl.deformPsRoiPool(POOL, pIn, rois, pOff).close();
        try (DeformPsRoiPoolGradients g = cl.deformPsRoiPoolBackward(POOL, pGo, pIn, rois, pOff,
                EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
            if (g.offset() == null) throw new AssertionError("no offset gradient");
        }
    }

    static long fds() throws IOException {
        Path fd = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fd)) return -1;
        try (Stream<Path> s = Files.list(fd)) {
            return s.count();
        }
    }

    static long status(String name) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) return -1;
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(name)) return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
        }
        return -1;
    }
}
