package dcn4j.vector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GEMM throughput in isolation, before/after, interleaved in one JVM (a measurement, not a test; run it
 * as benchmarks/README.md says). The product is the forward's: {@code C[p][o] = sum_k cols[p][k] * W[k][o]}
 * with {@code M = O} output channels, {@code K = C*9}, {@code N} pixels, in column chunks as the forward
 * makes them, on one thread. "legacy" is the core before the per-width tiles ({@link LegacySgemm}), the
 * others are {@link Sgemm#blocksTimesPanels} with each tile of {@link GemmTiles#ALL} that fits the host's
 * registers. Prints the median GFLOP/s of each.
 *
 * <p>Arguments: {@code reps} (default 7), then optional shapes {@code C,O,N} (default: the benchmark
 * shapes of issue 10). {@code -Dtiles=12x2,6x4} limits the tiles.
 */
final class GemmThroughput {

    /** Thread CPU time, not wall time: the machine is shared, and time spent descheduled is not the GEMM's. */
    static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private GemmThroughput() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        List<int[]> shapes = new ArrayList<>();
        for (int i = 1; i < args.length; i++) shapes.add(Arrays.stream(args[i].split(",")).mapToInt(Integer::parseInt).toArray());
        if (shapes.isEmpty()) {
            shapes.addAll(List.of(new int[] {64, 64, 56 * 56}, new int[] {64, 64, 8 * 28 * 28},
                    new int[] {256, 256, 28 * 28}, new int[] {512, 512, 2 * 14 * 14}, new int[] {128, 128, 100 * 168},
                    new int[] {256, 256, 50 * 84}, new int[] {512, 512, 25 * 42}));
        }
        List<GemmTile> tiles = new ArrayList<>();
        String only = System.getProperty("tiles");
        for (GemmTile t : GemmTiles.ALL) {
            if (t.registersUsed() <= VectorWidth.REGISTERS && (only == null || List.of(only.split(",")).contains(t.name()))) {
                tiles.add(t);
            }
        }
        System.out.println("GEMM throughput, 1 thread, " + VectorWidth.describe() + ", host tile " + Sgemm.TILE.name()
                + ", KC " + Sgemm.KC + ", L1 " + VectorWidth.L1_BYTES + " B, L2 " + VectorWidth.L2_BYTES + " B; medians of "
                + reps + " interleaved repetitions, GFLOP/s of thread CPU time");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-16s %10s", "C,O,N", "legacy"));
        for (GemmTile t : tiles) head.append(String.format(Locale.ROOT, " %10s", t.name() + (t == Sgemm.TILE ? "*" : "")));
        System.out.println(head);
        for (int[] s : shapes) {
            Problem p = new Problem(s[0] * 9, s[1], s[2]);
            int variants = tiles.size() + 1;
            double[][] gflops = new double[variants][reps];
            for (int w = 0; w < 2; w++) for (int v = 0; v < variants; v++) p.run(v == 0 ? null : tiles.get(v - 1));
            for (int r = 0; r < reps; r++) {
                for (int v = 0; v < variants; v++) {
                    long t0 = CPU.getCurrentThreadCpuTime();
                    p.run(v == 0 ? null : tiles.get(v - 1));
                    long t1 = CPU.getCurrentThreadCpuTime();
                    gflops[v][r] = 2.0 * p.k * p.o * p.n / (t1 - t0);
                }
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-16s", s[0] + "," + s[1] + "," + s[2]));
            for (double[] g : gflops) {
                Arrays.sort(g);
                line.append(String.format(Locale.ROOT, " %10.1f", g[g.length / 2]));
            }
            System.out.println(line);
        }
    }

    /** One product's operands, packed weights per layout, and per-chunk scratch. */
    private static final class Problem {
        final int k, o, n, rows;
        final float[] cols, weight, c;
        final float[] legacyPacked;
        final java.util.Map<GemmTile, float[]> packed = new java.util.HashMap<>();

        Problem(int k, int o, int n) {
            this.k = k;
            this.o = o;
            this.n = n;
            // The forward's chunk: 2 MiB of columns (FORWARD_CHUNK_BYTES), whole rows of panels.
            rows = Math.max(24, Math.min(n, (int) (VectorDeformConv2d.FORWARD_CHUNK_BYTES / 4 / k)) / 24 * 24);
            SplittableRandom r = new SplittableRandom(7);
            // Block-major for the tiles ({@link Sgemm#blockedIndex}); the legacy core reads the same floats as rows.
            cols = new float[(int) Math.max(Sgemm.blockedSize(rows, k), (long) rows * k) + 64];
            for (int i = 0; i < cols.length; i++) cols[i] = (float) r.nextDouble(-1, 1);
            weight = new float[k * o];
            for (int i = 0; i < weight.length; i++) weight[i] = (float) r.nextDouble(-1, 1);
            c = new float[(o + 64) * (rows + 24) + 64 * 24];
            legacyPacked = pack(LegacySgemm.NR);
            for (GemmTile t : GemmTiles.ALL) packed.put(t, pack(t.nr));
        }

        /** {@code W[k][o]} as panels of {@code nr} columns: {@code [panel][k][nr]}. */
        float[] pack(int nr) {
            int panels = (o + nr - 1) / nr;
            float[] p = new float[panels * k * nr];
            for (int pn = 0; pn < panels; pn++)
                for (int kk = 0; kk < k; kk++)
                    for (int j = 0; j < nr && pn * nr + j < o; j++) p[(pn * k + kk) * nr + j] = weight[kk * o + pn * nr + j];
            return p;
        }

        void run(GemmTile tile) {
            float[] tileBuf = new float[16 * 64];
            for (int p0 = 0; p0 < n; p0 += rows) {
                int count = Math.min(rows, n - p0);
                if (tile == null) legacy(count, tileBuf);
                else {
                    int panels = (o + tile.nr - 1) / tile.nr;
                    Sgemm.blocksTimesPanels(tile, cols, 0, rows, count, k, packed.get(tile), 0, k, panels, c, rows, false);
                }
            }
        }

        /** The forward's GEMM loop as it was (commit 1fe7ce1). */
        void legacy(int count, float[] tile) {
            int nr = LegacySgemm.NR, mr = LegacySgemm.MR, panels = (o + nr - 1) / nr;
            for (int k0 = 0; k0 < k; k0 += LegacySgemm.KC) {
                int kLen = Math.min(LegacySgemm.KC, k - k0);
                for (int op = 0; op < panels; op++) {
                    int bo = (op * k + k0) * nr;
                    for (int q = 0; q < count; q += mr) {
                        LegacySgemm.kernelRows(cols, q * k + k0, k, legacyPacked, bo, kLen, tile);
                        LegacySgemm.storeRows(tile, Math.min(mr, count - q), nr, c, (op * rows + q) * nr, nr, k0 > 0);
                    }
                }
            }
        }
    }
}
