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
 * definitions ({@code [rows][Kg]} and {@code [Kg/NR][rows][NR]}), not from {@code at}. If this fails, check
 * {@link GradColumnsLayout#PANEL_SHIFT} against {@code Sgemm.NR}.
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
                    assertEquals(5 + (grp * 12 + q) * g.groupK + k, layout.at(5, grp, q, k), "(" + grp + ", " + q + ", " + k + ")");
                }
            }
        }
        assertEquals(6, layout.kernelPointStride(g));
    }

    @Test
    void panelMajorPutsEachTileInOneContiguousRun() {
        int nr = Sgemm.NR, mr = Sgemm.MR, rows = 4 * mr;
        ConvGeometry g = geometry(1, 1, nr);
        GradColumnsLayout layout = GradColumnsLayout.panelMajor(g, rows);
        assertFalse(layout.rowMajor());
        boolean[] seen = new boolean[rows * g.groupK];
        for (int q = 0; q < rows; q++) {
            for (int k = 0; k < g.groupK; k++) {
                int expected = 3 + (k / nr * rows + q) * nr + k % nr;
                assertEquals(expected, layout.at(3, 0, q, k), "(" + q + ", " + k + ")");
                assertFalse(seen[expected - 3], "two elements at " + expected);
                seen[expected - 3] = true;
            }
        }
        // A tile (MR rows of one panel) is MR*NR floats in a row: the product writes it in place.
        int tile = layout.at(0, 0, mr, 3 * nr);
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) assertEquals(tile + i * nr + j, layout.at(0, 0, mr + i, 3 * nr + j));
        }
        // Channel ch of kernel point kpt of a pixel: kpt kernel-point strides, then ch, from the pixel's start.
        for (int kpt = 0; kpt < 9; kpt++) {
            for (int ch = 0; ch < g.channels; ch++) {
                assertEquals(layout.at(0, 0, 7, kpt * g.channels + ch), layout.at(0, 0, 7, 0) + kpt * layout.kernelPointStride(g) + ch);
            }
        }
    }

    @Test
    void panelMajorServesOnlyOneGroupWithOnePanelOfChannels() {
        int nr = Sgemm.NR;
        assertTrue(GradColumnsLayout.panelMajorFits(geometry(1, 1, nr)));
        assertFalse(GradColumnsLayout.panelMajorFits(geometry(2, 1, 2 * nr)));
        assertFalse(GradColumnsLayout.panelMajorFits(geometry(1, 2, nr)));
        assertFalse(GradColumnsLayout.panelMajorFits(geometry(1, 1, nr + Sgemm.L)));
        // Several panels per kernel point: right values, but measured slower to read (see the class comment).
        assertFalse(GradColumnsLayout.panelMajorFits(geometry(1, 1, 2 * nr)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradColumnsLayout.panelMajor(geometry(1, 1, nr + Sgemm.L), Sgemm.MR));
        assertTrue(e.getMessage().contains("channels " + (nr + Sgemm.L)), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradColumnsLayout.panelMajor(geometry(1, 1, nr), Sgemm.MR + 1));
        assertTrue(e.getMessage().contains("rows " + (Sgemm.MR + 1)), e.getMessage());
    }
}
