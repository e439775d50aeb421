package dcn4j.vector;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@link Col2im#offsetMaskGrads} in isolation (a measurement, not a test; benchmarks/README.md): nanoseconds
 * of thread CPU time per (pixel, kernel point) entry over one chunk of each shape, offsets uniform in
 * [-2, 2], with a mask, the chunk split into pixel blocks as the backward splits it. Arguments: {@code reps}
 * (default 9), then shapes {@code C,H,W} (default 64,56,56 and 128,100,168).
 */
final class OffsetGradThroughput {

    private OffsetGradThroughput() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        String[] shapes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : new String[] {"64,56,56", "128,100,168"};
        System.out.println("Col2im.offsetMaskGrads, 1 thread, " + VectorWidth.describe()
                + "; ns of thread CPU time per entry, median of " + reps);
        for (String shape : shapes) {
            ConvGeometry g = SampleTableThroughput.geometry(shape);
            SplittableRandom r = new SplittableRandom(3);
            float[] input = new float[g.channels * g.planeSize];
            for (int i = 0; i < input.length; i++) input[i] = (float) r.nextDouble(-1, 1);
            float[] offset = new float[2 * 9 * g.pixels], mask = new float[9 * g.pixels];
            for (int i = 0; i < offset.length; i++) offset[i] = (float) r.nextDouble(-2, 2);
            for (int i = 0; i < mask.length; i++) mask[i] = (float) r.nextDouble(0, 1);
            float[] padded = new float[(int) g.paddedSize];
            BilinearIm2col.padNhwc(g, input, 0, padded, 0, g.height + 2);
            int rows = Math.min(g.pixels, 1488), block = 48;
            float[] gradCols = new float[rows * g.groupK + Sgemm.NR];
            for (int i = 0; i < gradCols.length; i++) gradCols[i] = (float) r.nextDouble(-1, 1);
            int entries = SampleTable.entries(g, rows);
            SampleTable table = new SampleTable(g, rows, new int[entries], new float[4 * entries],
                    new float[SampleTable.FRAC * entries], true);
            table.fill(g, offset, mask, 0, 0, rows, 0, true);
            float[] gOff = new float[2 * 9 * g.pixels], gMask = new float[9 * g.pixels];
            double[] ns = new double[reps];
            long until = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < until) chunk(g, table, padded, gradCols, rows, block, gOff, gMask);
            for (int rep = 0; rep < reps; rep++) {
                long t0 = SampleTableThroughput.CPU.getCurrentThreadCpuTime();
                for (int it = 0; it < 5; it++) chunk(g, table, padded, gradCols, rows, block, gOff, gMask);
                ns[rep] = (SampleTableThroughput.CPU.getCurrentThreadCpuTime() - t0) / (5.0 * rows * 9);
            }
            Arrays.sort(ns);
            System.out.println(String.format(Locale.ROOT, "%-14s %6.2f ns/entry (fastest %6.2f)", shape, ns[reps / 2], ns[0]));
        }
    }

    private static void chunk(ConvGeometry g, SampleTable table, float[] padded, float[] gradCols, int rows, int block,
                              float[] gOff, float[] gMask) {
        for (int q0 = 0; q0 < rows; q0 += block) {
            Col2im.offsetMaskGrads(g, table, padded, gradCols, rows, 0, 0, q0, Math.min(block, rows - q0), gOff, gMask);
        }
    }
}
