package dcn4j.vector;

import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Bytes a warmed-up forward plus backward allocates (a diagnostic; {@link AllocationCheckTest} runs it in a fresh
 * JVM; benchmarks/README.md section 8). Once C2 has compiled the kernels, a call allocates only its bookkeeping
 * (tensors, plans, lambdas, small index arrays, the special samples' gradients): about 81 KB for 1,64,56,56,64.
 * A kernel whose vectors are boxed allocates a heap object per vector operation, megabytes per call, and runs
 * 1.3-12x slower (DESIGN.md "Vector boxing in some JVMs": with a second float vector class in the sample table,
 * 11.8 MB to 1.4 GB per call in 6 of 6 JVMs at {@code -XX:UseAVX=2 -XX:CICompilerCount=2}).
 *
 * <p>Counts bytes of all threads ({@code com.sun.management.ThreadMXBean}) over batches of 20 calls for up to
 * 60 s, stops once a batch comes under 128 KB, prints the smallest batch's bytes per call and exits with status 1
 * above 512 KiB. Arguments: optional shape {@code N,C,H,W,O} (3x3, pad 1, mask; default 1,64,56,56,64). If it
 * reports boxing, find the kernel with a JFR recording ({@code -XX:StartFlightRecording}, events
 * {@code jdk.ObjectAllocationSample}) or {@code -XX:+PrintCompilation -XX:+PrintInlining} ("failed to inline
 * (intrinsic)", "callee changed").
 */
final class AllocationCheck {

    static final long BOUND_BYTES_PER_CALL = 512L << 10;

    private AllocationCheck() {
    }

    public static void main(String[] args) {
        int[] s = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 64, 56, 56, 64};
        int n = s[0], c = s[1], h = s[2], w = s[3], o = s[4];
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SplittableRandom r = new SplittableRandom(5);
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        long best = Long.MAX_VALUE;
        try (VectorBackend b = new VectorBackend(2);
             Tensor x = b.tensor(new int[] {n, c, h, w}, random(r, n * c * h * w, 1));
             Tensor wt = b.tensor(new int[] {o, c, 3, 3}, random(r, o * c * 9, 0.1));
             Tensor off = b.tensor(new int[] {n, 18, h, w}, random(r, n * 18 * h * w, 2));
             Tensor m = b.tensor(new int[] {n, 9, h, w}, random(r, n * 9 * h * w, 1));
             Tensor go = b.tensor(new int[] {n, o, h, w}, random(r, n * o * h * w, 1))) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            int batch = 20;
            while (System.nanoTime() < deadline && best > BOUND_BYTES_PER_CALL / 4) {
                long before = threads.getTotalThreadAllocatedBytes();
                for (int i = 0; i < batch; i++) {
                    try (Tensor y = b.deformConv2d(spec, x, off, m, wt, null);
                         DeformConv2dGradients g = b.deformConv2dBackward(spec, go, x, off, m, wt, null, Gradient.all())) {
                        if (y.shape()[1] != o || g == null) throw new AssertionError("bad result");
                    }
                }
                best = Math.min(best, (threads.getTotalThreadAllocatedBytes() - before) / batch);
            }
        }
        System.out.println("AllocationCheck, " + VectorWidth.describe() + ", " + String.join(",", Arrays.stream(s)
                .mapToObj(Integer::toString).toArray(String[]::new)) + ": " + best + " bytes per forward + backward"
                + (best > BOUND_BYTES_PER_CALL ? " (above " + BOUND_BYTES_PER_CALL + ": some kernel boxes its vectors)" : ""));
        if (best > BOUND_BYTES_PER_CALL) System.exit(1);
    }

    static float[] random(SplittableRandom r, int size, double scale) {
        float[] a = new float[size];
        for (int i = 0; i < a.length; i++) a[i] = (float) (scale * r.nextDouble(-1, 1));
        return a;
    }
}
