package dcn4j.vector;

import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@link SampleTable#fill} in isolation (a measurement, not a test; benchmarks/README.md): nanoseconds of
 * thread CPU time per table entry, forward ({@code withFrac} false) and backward (true), over the chunks
 * of one image of each shape, offsets uniform in [-2, 2], with a mask. Arguments: {@code reps} (default 9),
 * then shapes {@code C,H,W} (default 64,56,56 and 128,100,168).
 */
final class SampleTableThroughput {

    static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private SampleTableThroughput() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        String[] shapes = args.length > 1 ? Arrays.copyOfRange(args, 1, args.length) : new String[] {"64,56,56", "128,100,168"};
        System.out.println("SampleTable.fill, 1 thread, " + VectorWidth.describe() + "; ns of thread CPU time per entry, interleaved, median of " + reps);
        for (String shape : shapes) {
            ConvGeometry g = geometry(shape);
            SplittableRandom r = new SplittableRandom(3);
            float[] offset = new float[2 * 9 * g.pixels], mask = new float[9 * g.pixels];
            for (int i = 0; i < offset.length; i++) offset[i] = (float) r.nextDouble(-2, 2);
            for (int i = 0; i < mask.length; i++) mask[i] = (float) r.nextDouble(0, 1);
            int rows = 906;
            int entries = SampleTable.entries(g, rows);
            SampleTable table = new SampleTable(g, rows, new int[entries], new float[4 * entries], new float[SampleTable.FRAC * entries], true);
            for (boolean withFrac : new boolean[] {false, true}) {
                double[][] ns = new double[2][reps];
                long until = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < until) {
                    for (int v = 0; v < 2; v++) image(g, table, offset, mask, rows, withFrac, v == 1);
                }
                for (int rep = 0; rep < reps; rep++) {
                    for (int v = 0; v < 2; v++) {
                        long t0 = CPU.getCurrentThreadCpuTime();
                        for (int it = 0; it < 5; it++) image(g, table, offset, mask, rows, withFrac, v == 1);
                        ns[v][rep] = (CPU.getCurrentThreadCpuTime() - t0) / (5.0 * g.pixels * 9);
                    }
                }
                for (double[] a : ns) Arrays.sort(a);
                System.out.println(String.format(Locale.ROOT, "%-14s withFrac=%-5s strips %6.2f ns/entry, entry by entry %6.2f",
                        shape, withFrac, ns[0][reps / 2], ns[1][reps / 2]));
            }
        }
    }

    /** One image {@code C,H,W} (C output channels, 3x3, padding 1, offsets and a mask): the shapes of these measurements. */
    static ConvGeometry geometry(String shape) {
        int[] s = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        return new ConvGeometry(new DeformConv2dShape(DeformConv2dSpec.defaults().withPadding(1, 1),
                dcn4j.DType.F32, 1, s[0], s[1], s[2], s[0], 3, 3, s[1], s[2], true, true, false));
    }

    /** Every chunk of the image, by {@link SampleTable#fill} or entry by entry through {@link SampleTable#setEntry}. */
    private static void image(ConvGeometry g, SampleTable table, float[] offset, float[] mask, int rows, boolean withFrac,
                              boolean entryByEntry) {
        for (int p0 = 0; p0 < g.pixels; p0 += rows) {
            int count = Math.min(rows, g.pixels - p0);
            if (!entryByEntry) {
                table.fill(g, offset, mask, 0, p0, count, 0, withFrac);
                continue;
            }
            for (int q = 0; q < count; q++) {
                int p = p0 + q, y = p / g.outWidth, x = p - y * g.outWidth;
                for (int k = 0; k < 9; k++) {
                    double py = y - 1 + k / 3 + offset[2 * k * g.pixels + p], px = x - 1 + k % 3 + offset[(2 * k + 1) * g.pixels + p];
                    table.setEntry(g, k * rows + q, py, px, mask[k * g.pixels + p], withFrac);
                }
            }
        }
    }
}
