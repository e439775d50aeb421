package dcn4j.vector;

import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where a forward and a backward call spend their time, phase by phase, on 1 and on N threads (a diagnostic,
 * benchmarks/README.md section 9; {@link PhaseTimes}). For each shape ({@code N,C,H,W,O}, 3x3, pad 1, offsets
 * uniform in [-2, 2], mask) and each thread count: a warm-up ({@link #WARM_UP_SECONDS}), then {@code calls}
 * forward + backward calls; prints, in ms per call, each phase's wall time, the busy time of each kind of item
 * (summed over the workers), and each phase's waiting time ({@code threads * wall - busy}: helpers waking,
 * imbalance, barrier). A kind of item busier on 2 threads than on 1 ran slower side by side (shared caches,
 * memory bandwidth, or a physical core: on this project's 2-vCPU virtual machine that changed from minute to
 * minute, 0-50%; benchmarks/RESULTS.md, sixth pass). Arguments: {@code calls threads shape...} (e.g.
 * {@code 200 1,2 1,64,56,56,64}). Turns on {@code -Ddcn4j.vector.phaseTimes=true} itself, before the backend's
 * classes load.
 */
final class PhaseProfile {

    /** Warm-up per backend, in seconds ({@code -Ddcn4j.phaseProfile.warmUp}, default 6; the test uses less). */
    static final double WARM_UP_SECONDS = Double.parseDouble(System.getProperty("dcn4j.phaseProfile.warmUp", "6"));

    private PhaseProfile() {
    }

    public static void main(String[] args) {
        System.setProperty(PhaseTimes.PROPERTY, "true");
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int[] threadCounts = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 2};
        List<String> shapes = new ArrayList<>(args.length > 2 ? Arrays.asList(args).subList(2, args.length)
                : List.of("1,64,56,56,64"));
        if (!PhaseTimes.ENABLED) throw new IllegalStateException("PhaseTimes was initialised before main set "
                + PhaseTimes.PROPERTY);
        System.out.println("Phase profile, " + VectorWidth.describe() + ", GEMM tile " + Sgemm.MR + "x" + Sgemm.NR
                + "; ms per call (wall clock), means over " + calls + " calls after a " + WARM_UP_SECONDS + " s warm-up");
        for (String shape : shapes) {
            int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
            double[][] perSlot = new double[threadCounts.length][];
            double[][] totals = new double[threadCounts.length][];
            for (int t = 0; t < threadCounts.length; t++) {
                totals[t] = new double[2];
                perSlot[t] = profile(s, threadCounts[t], calls, totals[t]);
            }
            print(shape, threadCounts, perSlot, totals);
        }
    }

    /**
     * Mean ms per call of every slot, then (from {@code Slot.values().length} on) how many times per call each was
     * recorded; {@code totals} gets the forward and backward calls' own wall time.
     */
    private static double[] profile(int[] s, int threads, int calls, double[] totals) {
        int n = s[0], c = s[1], h = s[2], w = s[3], o = s[4];
        SplittableRandom r = new SplittableRandom(5);
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1);
        try (VectorBackend b = new VectorBackend(threads);
             Tensor x = b.tensor(new int[] {n, c, h, w}, AllocationCheck.random(r, n * c * h * w, 1));
             Tensor wt = b.tensor(new int[] {o, c, 3, 3}, AllocationCheck.random(r, o * c * 9, 0.1));
             Tensor off = b.tensor(new int[] {n, 18, h, w}, AllocationCheck.random(r, n * 18 * h * w, 2));
             Tensor m = b.tensor(new int[] {n, 9, h, w}, AllocationCheck.random(r, n * 9 * h * w, 1));
             Tensor go = b.tensor(new int[] {n, o, h, w}, AllocationCheck.random(r, n * o * h * w, 1))) {
            long warm = System.nanoTime() + (long) (WARM_UP_SECONDS * 1e9);
            while (System.nanoTime() < warm) call(b, spec, x, off, m, wt, go, null);
            PhaseTimes.reset();
            long[] wall = new long[2];
            for (int i = 0; i < calls; i++) call(b, spec, x, off, m, wt, go, wall);
            totals[0] = wall[0] / 1e6 / calls;
            totals[1] = wall[1] / 1e6 / calls;
        }
        int slots = PhaseTimes.Slot.values().length;
        double[] perCall = new double[2 * slots];
        for (PhaseTimes.Slot slot : PhaseTimes.Slot.values()) {
            perCall[slot.ordinal()] = PhaseTimes.nanos(slot) / 1e6 / calls;
            perCall[slots + slot.ordinal()] = (double) PhaseTimes.events(slot) / calls;
        }
        return perCall;
    }

    private static void call(VectorBackend b, DeformConv2dSpec spec, Tensor x, Tensor off, Tensor m, Tensor wt,
                             Tensor go, long[] wall) {
        long t0 = System.nanoTime();
        try (Tensor y = b.deformConv2d(spec, x, off, m, wt, null)) {
            long t1 = System.nanoTime();
            try (DeformConv2dGradients g = b.deformConv2dBackward(spec, go, x, off, m, wt, null, Gradient.all())) {
                if (y == null || g == null) throw new AssertionError("no result");
            }
            if (wall != null) {
                wall[0] += t1 - t0;
                wall[1] += System.nanoTime() - t1;
            }
        }
    }

    private static void print(String shape, int[] threadCounts, double[][] perSlot, double[][] totals) {
        StringBuilder head = new StringBuilder("\n| " + shape + " |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int t : threadCounts) {
            head.append(' ').append(t).append(t == 1 ? " thread | phases or items per call |" : " threads | phases or items per call |");
            rule.append("---|---|");
        }
        System.out.println(head);
        System.out.println(rule);
        row("forward call (wall)", threadCounts, t -> totals[t][0], null);
        PhaseTimes.Slot[] slots = PhaseTimes.Slot.values();
        for (int i = 0; i < slots.length; i++) {
            PhaseTimes.Slot slot = slots[i];
            if (slot == PhaseTimes.Slot.BACKWARD_PAD_PHASE) row("backward call (wall)", threadCounts, t -> totals[t][1], null);
            int at = i;
            row(slot.label, threadCounts, t -> perSlot[t][at], t -> perSlot[t][slots.length + at]);
            if (slot.wall) {
                // waiting = threads * wall - the busy time of the phase's items (0 where the phase did not run:
                // the backward runs either its pipelined phase or the two chunk-wide ones).
                row("  waiting (threads x wall - busy)", threadCounts, t -> {
                    if (perSlot[t][slots.length + at] == 0) return 0;
                    double busy = 0;
                    for (PhaseTimes.Slot item : slot.items()) busy += perSlot[t][item.ordinal()];
                    return threadCounts[t] * perSlot[t][at] - busy;
                }, null);
            }
        }
    }

    private interface Value {
        double of(int threadIndex);
    }

    /** A row: per thread count, ms per call and ({@code count} not null) how many per call. */
    private static void row(String label, int[] threadCounts, Value ms, Value count) {
        StringBuilder line = new StringBuilder("| " + label + " |");
        for (int t = 0; t < threadCounts.length; t++) {
            line.append(String.format(Locale.ROOT, " %.3f |", ms.of(t)));
            line.append(count == null ? "  |" : String.format(Locale.ROOT, " %.1f |", count.of(t)));
        }
        System.out.println(line);
    }
}
