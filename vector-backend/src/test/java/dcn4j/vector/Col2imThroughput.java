package dcn4j.vector;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@link Col2im#offsetMaskGrads} and {@link Col2im#scatter} in isolation (a measurement, not a test;
 * benchmarks/README.md): nanoseconds of thread CPU time per (pixel, kernel point) entry over one chunk of each
 * shape, offsets uniform in [-2, 2], with a mask, the offset gradients in pixel blocks as the backward splits them,
 * the scatter over all channels; the one-segment loops the backward takes for these shapes (reading row-major and,
 * where it fits, kernel-point-major gradient columns, {@link GradColumnsLayout}) and the general loops,
 * measured in turns in one JVM. Arguments: {@code reps} (default 9), then shapes {@code C,H,W} (default 64,56,56
 * and 128,100,168).
 */
final class Col2imThroughput {

    private Col2imThroughput() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        String[] shapes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : new String[] {"64,56,56", "128,100,168"};
        System.out.println("Col2im.offsetMaskGrads and Col2im.scatter, 1 thread, " + VectorWidth.describe()
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
            int rows = Math.min(g.pixels, 1488) / Sgemm.MR * Sgemm.MR, block = 48;
            float[] gradCols = new float[rows * g.groupK + Sgemm.NR];
            for (int i = 0; i < gradCols.length; i++) gradCols[i] = (float) r.nextDouble(-1, 1);
            int entries = SampleTable.entries(g, rows);
            SampleTable table = new SampleTable(g, rows, new int[entries], new float[4 * entries],
                    new float[SampleTable.FRAC * entries], true);
            table.fill(g, offset, mask, 0, 0, rows, 0, true);
            float[] gOff = new float[2 * 9 * g.pixels], gMask = new float[9 * g.pixels];
            float[] gradPadded = new float[(int) g.paddedSize];
            // Loops: one-segment row-major, general (row-major), one-segment kernel-point-major (the same values kept
            // elsewhere: the timings only).
            GradColumnsLayout rowMajor = GradColumnsLayout.rowMajor(g, rows);
            GradColumnsLayout panelMajor = GradColumnsLayout.kernelPointMajorFits(g)
                    ? GradColumnsLayout.kernelPointMajor(g, rows) : null;
            int loops = panelMajor != null ? 3 : 2;
            // [kernel: offsets, scatter][loop][rep]
            double[][][] ns = new double[2][loops][reps];
            long until = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < until) {
                for (int loop = 0; loop < loops; loop++) {
                    GradColumnsLayout layout = loop == 2 ? panelMajor : rowMajor;
                    offsets(g, table, padded, gradCols, layout, rows, block, gOff, gMask, loop == 1);
                    scatter(g, table, gradCols, layout, rows, gradPadded, loop == 1);
                }
            }
            for (int rep = 0; rep < reps; rep++) {
                for (int kernel = 0; kernel < 2; kernel++) {
                    for (int loop = 0; loop < loops; loop++) {
                        GradColumnsLayout layout = loop == 2 ? panelMajor : rowMajor;
                        long t0 = SampleTableThroughput.CPU.getCurrentThreadCpuTime();
                        for (int it = 0; it < 5; it++) {
                            if (kernel == 0) offsets(g, table, padded, gradCols, layout, rows, block, gOff, gMask, loop == 1);
                            else scatter(g, table, gradCols, layout, rows, gradPadded, loop == 1);
                        }
                        ns[kernel][loop][rep] = (SampleTableThroughput.CPU.getCurrentThreadCpuTime() - t0) / (5.0 * rows * 9);
                    }
                }
            }
            for (int kernel = 0; kernel < 2; kernel++) {
                for (double[] a : ns[kernel]) Arrays.sort(a);
                System.out.println(String.format(Locale.ROOT,
                        "%-14s %-8s one-segment %6.2f ns/entry (fastest %6.2f), general %6.2f (fastest %6.2f)%s", shape,
                        kernel == 0 ? "offsets" : "scatter", ns[kernel][0][reps / 2], ns[kernel][0][0],
                        ns[kernel][1][reps / 2], ns[kernel][1][0], loops < 3 ? "" : String.format(Locale.ROOT,
                                ", one-segment kernel-point-major %6.2f (fastest %6.2f)", ns[kernel][2][reps / 2], ns[kernel][2][0])));
            }
        }
    }

    private static void offsets(ConvGeometry g, SampleTable table, float[] padded, float[] gradCols,
                                GradColumnsLayout layout, int rows, int block, float[] gOff, float[] gMask,
                                boolean general) {
        for (int q0 = 0; q0 < rows; q0 += block) {
            int len = Math.min(block, rows - q0);
            if (general) Col2im.offsetMaskGradsGeneral(g, table, padded, gradCols, 0, layout, 0, 0, q0, len, gOff, gMask);
            else Col2im.offsetMaskGradsOneSegment(g, table, padded, gradCols, 0, layout, 0, 0, q0, len, gOff, gMask);
        }
    }

    private static void scatter(ConvGeometry g, SampleTable table, float[] gradCols, GradColumnsLayout layout, int rows,
                                float[] gradPadded, boolean general) {
        if (general) Col2im.scatterGeneral(g, table, gradCols, 0, layout, 0, rows, 0, g.channels, gradPadded);
        else Col2im.scatterOneSegment(g, table, gradCols, 0, layout, 0, rows, 0, g.channels, gradPadded);
    }
}
