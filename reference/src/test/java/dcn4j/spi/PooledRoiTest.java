package dcn4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dcn4j.DeformPsRoiPoolSpec;
import org.junit.jupiter.api.Test;

/**
 * The RoI preamble of the official MXNet {@code DeformablePSROIPooling} kernel, shared by every backend
 * (DESIGN.md "Deformable PS RoI pooling"), against values worked out by hand from the kernel's statements.
 */
class PooledRoiTest {

    private static DeformPsRoiPoolSpec spec(double scale, int pooled, int samplePerPart) {
        return new DeformPsRoiPoolSpec(scale, 1, 1, pooled, pooled, samplePerPart, 0.1);
    }

    @Test
    void roundingIsHalfAwayFromZeroAsCsRound() {
        assertEquals(3.0, PooledRoi.roundHalfAwayFromZero(2.5));
        assertEquals(-3.0, PooledRoi.roundHalfAwayFromZero(-2.5));
        assertEquals(1.0, PooledRoi.roundHalfAwayFromZero(0.5));
        assertEquals(-1.0, PooledRoi.roundHalfAwayFromZero(-0.5));
        assertEquals(2.0, PooledRoi.roundHalfAwayFromZero(2.4999999999999996));
        // The largest double below 0.5: Math.round would give 0 too, floor(v + 0.5) would give 1.
        assertEquals(0.0, PooledRoi.roundHalfAwayFromZero(0.49999999999999994));
        assertEquals(5.0, PooledRoi.roundHalfAwayFromZero(4.5)); // Math.rint: 4 (half to even)
        assertEquals(1e300, PooledRoi.roundHalfAwayFromZero(1e300));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(PooledRoi.roundHalfAwayFromZero(-0.2)));
    }

    @Test
    void cornersAreRoundedScaledAndShiftedAndTheEndTakesPlusOne() {
        // x1 = 2.5 -> 3, y1 = -1.5 -> -2, x2 = 10.4 -> 10, y2 = 7.5 -> 8; scale 0.5.
        PooledRoi r = PooledRoi.of(spec(0.5, 3, 2), new double[] {1.9, 2.5, -1.5, 10.4, 7.5}, 0);
        assertEquals(1, r.batch()); // (int) 1.9: truncation toward zero
        assertEquals(3 * 0.5 - 0.5, r.startW());
        assertEquals(-2 * 0.5 - 0.5, r.startH());
        assertEquals((10 + 1) * 0.5 - 0.5 - (3 * 0.5 - 0.5), r.width());
        assertEquals((8 + 1) * 0.5 - 0.5 - (-2 * 0.5 - 0.5), r.height());
        assertEquals(r.width() / 3, r.binW());
        assertEquals(r.height() / 3, r.binH());
        assertEquals(r.binW() / 2, r.subW());
        assertEquals(r.binH() / 2, r.subH());
    }

    @Test
    void tinyAndInvertedRoisAreAtLeastATenthWide() {
        // Scale 1/16: x1 = x2 = 0 gives a width of 1/16 < 0.1.
        PooledRoi tiny = PooledRoi.of(spec(0.0625, 2, 1), new double[] {0, 0, 0, 0, 0}, 0);
        assertEquals(0.1, tiny.width());
        assertEquals(0.1, tiny.height());
        PooledRoi inverted = PooledRoi.of(spec(1, 2, 1), new double[] {0, 9, 9, 5, 3}, 0);
        assertEquals(0.1, inverted.width());
        assertEquals(0.1, inverted.height());
        assertEquals(0.05, inverted.binW());
    }

    @Test
    void cellsFollowTheKernelsFloatingPointOrder() {
        // floor((double) 15 / 22 * 22) = 14 (15/22*22 rounds below 15), not 15.
        assertEquals(14, PooledRoi.partCell(15, 22, 22));
        assertEquals(1, PooledRoi.partCell(2, 3, 2));
        assertEquals(0, PooledRoi.partCell(0, 7, 3));
        assertEquals(2, PooledRoi.partCell(6, 7, 3));
        assertEquals(2, PooledRoi.groupCell(6, 7, 3));
        assertEquals(0, PooledRoi.groupCell(0, 7, 3));
        assertEquals(1, PooledRoi.groupCell(1, 2, 3)); // floor(1*3/2) = 1
        assertEquals(0, PooledRoi.groupCell(3, 4, 1));
    }
}
