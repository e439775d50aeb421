package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The forward's sampler writes, for every (pixel, kernel point, channel), the blend of the four corners of its
 * {@link SampleTable} entry ({@code ((p00*w00 + p01*w01) + p10*w10) + p11*w11}, fused multiply-adds, as the
 * vector lanes do) at {@link Sgemm#blockedIndex}; the backward's, the same blend in {@code NR}-wide column panels.
 * Checked element by element against that formula, on channel counts that make vectors end exactly on a KC block
 * or a panel, straddle one ({@code C = 40}: kernel point 7 starts 8 floats before a block's end) or end in a
 * masked tail, on samples outside the image (zeros) and on non-finite entries. If this fails, check the running
 * destination of {@code BilinearIm2col.sampleRowsOneSegment} (block, offset in block) or of
 * {@code samplePanelsOneSegment} (panel, offset in panel).
 */
class BilinearIm2colTest {

    @Test
    void sampleRowsWriteTheBlendOfEachEntryAtItsBlockMajorPlace() {
        everySampleIsTheBlendOfItsEntryAtItsPlace(false);
    }

    @Test
    void samplePanelsWriteTheBlendOfEachEntryAtItsPanelMajorPlace() {
        everySampleIsTheBlendOfItsEntryAtItsPlace(true);
    }

    private static void everySampleIsTheBlendOfItsEntryAtItsPlace(boolean panelMajor) {
        SplittableRandom r = new SplittableRandom(5);
        for (int c : new int[] {1, 5, VectorWidth.L, 32, 40, 64, 100, 128, Sgemm.KC + 3, 9 * VectorWidth.L}) {
            int h = 7, w = 9, rows = 30;
            ConvGeometry g = new ConvGeometry(new DeformConv2dShape(DeformConv2dSpec.defaults().withPadding(1, 1),
                    dcn4j.DType.F32, 1, c, h, w, 4, 3, 3, h, w, true, true, false));
            float[] input = new float[c * h * w], offset = new float[18 * g.pixels], mask = new float[9 * g.pixels];
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
            // The backward fills its table with the slopes and samples chunks from a pixel q0 > 0 on.
            int q0 = panelMajor ? 3 : 0;
            table.fill(g, offset, mask, 0, p0, count, 0, panelMajor);
            int kPanels = (g.groupK + Sgemm.NR - 1) / Sgemm.NR;
            float[] cols = new float[panelMajor ? kPanels * rows * Sgemm.NR : (int) Sgemm.blockedSize(rows, g.groupK)];
            java.util.Arrays.fill(cols, Float.NaN);
            if (panelMajor) BilinearIm2col.sample(g, table, padded, q0, count - q0, cols, rows, true);
            else BilinearIm2col.sampleRows(g, table, padded, count, cols, rows);
            int d01 = c, d10 = g.paddedWidth * c, d11 = d10 + c;
            for (int q = q0; q < count; q++) {
                for (int kpt = 0; kpt < 9; kpt++) {
                    int e = table.entry(g, q, 0, kpt), b = table.base[e];
                    for (int ch = 0; ch < c; ch++) {
                        float expected = 0f;
                        if (b < SampleTable.OUTSIDE) {
                            expected = BilinearIm2col.specialValue(g, table, e, padded, ch, d01, d10, d11);
                        } else if (b >= 0) {
                            int at = b + ch;
                            expected = padded[at] * table.weight(e, 0);
                            expected = VectorWidth.fma(padded[at + d01], table.weight(e, 1), expected);
                            expected = VectorWidth.fma(padded[at + d10], table.weight(e, 2), expected);
                            expected = VectorWidth.fma(padded[at + d11], table.weight(e, 3), expected);
                        }
                        int k = kpt * c + ch;
                        float actual = cols[panelMajor ? ((k / Sgemm.NR) * rows + q) * Sgemm.NR + k % Sgemm.NR
                                : Sgemm.blockedIndex(rows, q, k)];
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                                (panelMajor ? "panels, C " : "rows, C ") + c + ", pixel " + q + ", kernel point " + kpt + ", channel " + ch + ": " + expected
                                        + " vs " + actual);
                    }
                }
            }
        }
    }
}
