package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import org.junit.jupiter.api.Test;

/**
 * {@link GradColumnsLayout}: where element {@code (q, k)} of the column gradient lives. Expected indices from the
 * definitions ({@code [groups][rows][Kg]} and {@code [kernel points][rows][C]}), not from {@code at}. If this fails,
 * check {@link GradColumnsLayout#at} and the fields the factories set.
 */
class GradColumnsLayoutTest {

    private static ConvGeometry geometry(int groups, int offsetGroups, int channels) {
        DeformConv2dSpec spec = new DeformConv2dSpec(1, 1, 1, 1, 1, 1, groups, offsetGroups);
        return new ConvGeometry(new DeformConv2dShape(spec, DType.F32, 1, channels, 5, 7, 2 * groups, 3, 3, 5, 7, true,
                false, false));
    }

    @Test
    void rowMajorPutsEachPixelsRowInOnePlace() {
        ConvGeometry g = geometry(2, 1, 6);
        GradColumnsLayout layout = GradColumnsLayout.rowMajor(g, 12);
        assertTrue(layout.rowMajor());
        for (int grp = 0; grp < 2; grp++) {
            for (int q = 0; q < 12; q++) {
                for (int k = 0; k < g.groupK; k++) {
                    assertEquals(5 + (grp * 12 + q) * g.groupK + k, layout.at(5, grp, q, k),
                            "(" + grp + ", " + q + ", " + k + ")");
                }
            }
        }
        ConvGeometry oneGroup = geometry(1, 1, 6);
        assertEquals(6, GradColumnsLayout.rowMajor(oneGroup, 12).kernelPointStride(oneGroup));
    }

    @Test
    void kernelPointMajorPutsEachKernelPointOfAPixelInOnePlace() {
        int nr = Sgemm.NR, mr = Sgemm.MR, rows = 4 * mr;
        for (int panels = 1; panels <= 3; panels++) {
            ConvGeometry g = geometry(1, 1, panels * nr);
            int c = g.channels;
            GradColumnsLayout layout = GradColumnsLayout.kernelPointMajor(g, rows);
            assertFalse(layout.rowMajor());
            boolean[] seen = new boolean[rows * g.groupK];
            for (int q = 0; q < rows; q++) {
                for (int k = 0; k < g.groupK; k++) {
                    int expected = 3 + (k / c * rows + q) * c + k % c;
                    assertEquals(expected, layout.at(3, 0, q, k), "(" + q + ", " + k + ")");
                    assertFalse(seen[expected - 3], "two elements at " + expected);
                    seen[expected - 3] = true;
                }
            }
            assertEquals(rows * c, layout.kernelPointStride(g));
            // A product tile (MR rows of panel kp): rows rowStride apart, NR columns each, in one kernel point.
            for (int kp = 0; kp < g.groupK / nr; kp++) {
                int tile = layout.at(0, 0, mr, kp * nr);
                for (int i = 0; i < mr; i++) {
                    for (int j = 0; j < nr; j++) {
                        assertEquals(tile + i * layout.rowStride() + j, layout.at(0, 0, mr + i, kp * nr + j));
                    }
                }
            }
        }
    }

    @Test
    void kernelPointMajorServesOnlyOneGroupAndWholePanelsOfChannels() {
        int nr = Sgemm.NR;
        assertTrue(GradColumnsLayout.kernelPointMajorFits(geometry(1, 1, nr)));
        assertTrue(GradColumnsLayout.kernelPointMajorFits(geometry(1, 1, 3 * nr)));
        assertFalse(GradColumnsLayout.kernelPointMajorFits(geometry(2, 1, 2 * nr)));
        assertFalse(GradColumnsLayout.kernelPointMajorFits(geometry(1, 2, nr)));
        if (nr > Sgemm.L) assertFalse(GradColumnsLayout.kernelPointMajorFits(geometry(1, 1, nr + Sgemm.L)));
        assertFalse(GradColumnsLayout.kernelPointMajorFits(geometry(1, 1, nr + 1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradColumnsLayout.kernelPointMajor(geometry(1, 1, nr + 1), Sgemm.MR));
        assertTrue(e.getMessage().contains("channels " + (nr + 1)), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GradColumnsLayout.kernelPointMajor(geometry(1, 1, nr), Sgemm.MR + 1));
        assertTrue(e.getMessage().contains("rows " + (Sgemm.MR + 1)), e.getMessage());
    }
}
