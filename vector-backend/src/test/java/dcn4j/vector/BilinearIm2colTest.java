package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The forward's sampler writes, for every (pixel, kernel point, channel), the blend of the four corners of its
 * {@link SampleTable} entry ({@code ((p00*w00 + p01*w01) + p10*w10) + p11*w11}, fused multiply-adds, as the
 * vector lanes do) into one {@code KC}-deep block of the sample rows at a time ({@code block[q*KC + k - k0]}); the
 * backward's weight-gradient items, the same blend in {@code NR}-wide column panels, a range of panels at a time.
 * Checked element by element against that formula, on
 * channel counts that make vectors end exactly on a KC block or a panel, cross one ({@code C = 40}: kernel point 7
 * starts 8 floats before a block's end) or end in a masked tail, on groups and offset groups whose channel runs
 * cross each other and the blocks, on a plain convolution (no offsets: the top-left corner alone), on samples outside
 * the image (zeros) and on non-finite entries. If this fails, check the channel range of a kernel point within a
 * block in {@code BilinearIm2col.sampleRowsBlock} (lo, hi, toBlock, to) or the running destination of
 * {@code columnPanelsOneSegment} (channel range of a kernel point, panel, offset in panel).
 */
class BilinearIm2colTest {

    @Test
    void sampleRowsBlockWritesTheBlendOfEachEntryAtItsPlaceInTheBlock() {
        SplittableRandom r = new SplittableRandom(5);
        for (int c : new int[] {1, 5, VectorWidth.L, 32, 40, 64, 100, 128, Sgemm.KC + 3, 9 * VectorWidth.L}) {
            everySampleIsTheBlendOfItsEntryAtItsPlace(r, c, 1, 1, true, false);
        }
        // Groups and offset groups: segments of 16 channels (offset groups) across groups of 24 and 36 channels.
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 48, 2, 3, true, false);
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 72, 2, 1, true, false);
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 3 * (Sgemm.KC / 4 + 5), 3, 3, true, false);
        // Offset groups cut inside groups whose reduction spans several blocks, on every host (KC 256: 210 channels,
        // groups of 105, offset groups of 70, groupK 945).
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 6 * (Sgemm.KC / 8 + 3), 2, 3, true, false);
        // A plain convolution: no offsets, every sample on a pixel.
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 40, 1, 1, false, false);
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 2 * Sgemm.KC / 9 + 8, 2, 1, false, false);
    }

    @Test
    void sampleColumnPanelsWriteTheBlendOfEachEntryAtItsPanelMajorPlace() {
        SplittableRandom r = new SplittableRandom(5);
        for (int c : new int[] {1, 5, VectorWidth.L, 32, 40, 64, 100, 128, Sgemm.KC + 3, 9 * VectorWidth.L}) {
            everySampleIsTheBlendOfItsEntryAtItsPlace(r, c, 1, 1, true, true);
        }
        // The general path (panel by panel): groups, offset groups, a plain convolution.
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 48, 2, 3, true, true);
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 72, 2, 1, true, true);
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 40, 1, 1, false, true);
        everySampleIsTheBlendOfItsEntryAtItsPlace(r, 6 * (Sgemm.KC / 8 + 3), 2, 3, true, true);
    }

    private static void everySampleIsTheBlendOfItsEntryAtItsPlace(SplittableRandom r, int c, int groups,
                                                                   int offsetGroups, boolean withOffset,
                                                                   boolean panelMajor) {
        int h = 7, w = 9, rows = 30;
        ConvGeometry g = new ConvGeometry(new DeformConv2dShape(DeformConv2dSpec.defaults().withPadding(1, 1)
                .withGroups(groups).withOffsetGroups(offsetGroups), dcn4j.DType.F32, 1, c, h, w, 4 * groups, 3, 3, h,
                w, withOffset, withOffset, false));
        float[] input = new float[c * h * w], offset = new float[18 * offsetGroups * g.pixels];
        float[] mask = new float[9 * offsetGroups * g.pixels];
        for (int i = 0; i < input.length; i++) input[i] = (float) r.nextDouble(-1, 1);
        // Some samples far outside the image: their rows are zeros.
        for (int i = 0; i < offset.length; i++) offset[i] = (float) (r.nextInt(8) == 0 ? 50 : r.nextDouble(-2, 2));
        for (int i = 0; i < mask.length; i++) mask[i] = (float) r.nextDouble(0, 1);
        // A few non-finite values (DESIGN.md "Non-finite values"): NaN samples and unmodulated entries.
        for (int i = 0; i < 6; i++) {
            offset[r.nextInt(offset.length)] = Float.NaN;
            mask[r.nextInt(mask.length)] = Float.POSITIVE_INFINITY;
        }
        float[] padded = new float[(int) g.paddedSize];
        BilinearIm2col.padNhwc(g, input, 0, padded, 0, h + 2);
        int entries = SampleTable.entries(g, rows);
        SampleTable table = new SampleTable(g, rows, new int[entries], new float[4 * entries],
                new float[SampleTable.FRAC * entries], true);
        int p0 = 17, count = 23;
        // The backward fills its table with the slopes, in pixel blocks.
        table.fill(g, withOffset ? offset : null, withOffset ? mask : null, 0, p0, 3, 0, panelMajor);
        table.fill(g, withOffset ? offset : null, withOffset ? mask : null, 0, p0 + 3, count - 3, 3, panelMajor);
        int kg = g.groupK, cg = g.channelsPerGroup, cpo = c / offsetGroups;
        int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
        String what = (panelMajor ? "panels" : "block rows") + ", C " + c + ", groups " + groups + ", offset groups "
                + offsetGroups + (withOffset ? "" : ", no offsets");
        if (panelMajor) {
            // Ranges of panels as the weight-gradient items take them, and others: from the first panel, from
            // inside, up to the last (partial) one, and a single panel.
            int kPanels = (kg + Sgemm.NR - 1) / Sgemm.NR;
            int step = VectorDeformConv2d.BackwardPlan.PANELS_PER_ITEM;
            java.util.List<int[]> ranges = new java.util.ArrayList<>();
            for (int kp = 0; kp < kPanels; kp += step) ranges.add(new int[] {kp, Math.min(kPanels, kp + step)});
            ranges.add(new int[] {kPanels / 2, kPanels});
            ranges.add(new int[] {kPanels - 1, kPanels});
            for (int grp = 0; grp < groups; grp++) {
                for (int[] range : ranges) {
                    float[] cols = new float[(range[1] - range[0]) * rows * Sgemm.NR];
                    java.util.Arrays.fill(cols, Float.NaN);
                    BilinearIm2col.sampleColumnPanels(g, table, padded, count, cols, grp, range[0], range[1], rows);
                    for (int q = 0; q < count; q++) {
                        for (int k = range[0] * Sgemm.NR; k < Math.min(kg, range[1] * Sgemm.NR); k++) {
                            float actual = cols[((k / Sgemm.NR - range[0]) * rows + q) * Sgemm.NR + k % Sgemm.NR];
                            int ch = grp * cg + k % cg;
                            check(g, table, padded, q, ch / cpo, k / cg, ch, d01, d10, d11, actual,
                                    what + ", group " + grp + ", panels " + range[0] + ".." + range[1]);
                        }
                    }
                }
            }
            return;
        }
        float[] block = new float[rows * Sgemm.KC];
        for (int grp = 0; grp < groups; grp++) {
            for (int k0 = 0; k0 < kg; k0 += Sgemm.KC) {
                int kl = Math.min(Sgemm.KC, kg - k0);
                java.util.Arrays.fill(block, Float.NaN);
                BilinearIm2col.sampleRowsBlock(g, table, padded, count, block, grp, k0, kl);
                for (int q = 0; q < count; q++) {
                    for (int k = k0; k < k0 + kl; k++) {
                        int ch = grp * cg + k % cg;
                        check(g, table, padded, q, ch / cpo, k / cg, ch, d01, d10, d11, block[q * Sgemm.KC + k - k0],
                                what + ", group " + grp + ", block at k " + k0);
                    }
                }
            }
        }
    }

    /** Sample (pixel q, kernel point kpt, channel ch) of offset group og, as the formula gives it, against actual. */
    private static void check(ConvGeometry g, SampleTable table, float[] padded, int q, int og, int kpt, int ch, int d01,
                              int d10, int d11, float actual, String what) {
        int e = table.entry(g, q, og, kpt), b = table.base[e];
        float expected = 0f;
        if (b < SampleTable.OUTSIDE) {
            expected = BilinearIm2col.specialValue(g, table, e, padded, ch, d01, d10, d11);
        } else if (b >= 0 && !g.hasOffset) {
            expected = padded[b + ch] * table.weight(e, 0);
        } else if (b >= 0) {
            int at = b + ch;
            expected = padded[at] * table.weight(e, 0);
            expected = VectorWidth.fma(padded[at + d01], table.weight(e, 1), expected);
            expected = VectorWidth.fma(padded[at + d10], table.weight(e, 2), expected);
            expected = VectorWidth.fma(padded[at + d11], table.weight(e, 3), expected);
        }
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                what + ", pixel " + q + ", kernel point " + kpt + ", channel " + ch + ": " + expected + " vs " + actual);
    }
}
