package dcn4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EffectiveDilationTest {

    /** Offsets for unit (y, x) of a [1, 18, ho, wo] field that move kernel point (i, j) by (dy(i,j), dx(i,j)). */
    private static double[] field(int ho, int wo, int y, int x, double[][] d) {
        double[] off = new double[18 * ho * wo];
        for (int k = 0; k < 9; k++) {
            off[((2 * k) * ho + y) * wo + x] = d[k][0];
            off[((2 * k + 1) * ho + y) * wo + x] = d[k][1];
        }
        return off;
    }

    @Test
    void aRegularGridHasItsDilation() {
        double[] zero = new double[18 * 4 * 5];
        assertEquals(1.0, EffectiveDilation.of(EffectiveDilation.samplingPoints(zero, 0, 3, 1, 4, 5, 2, 3), 3), 1e-15);
        assertEquals(3.0, EffectiveDilation.of(EffectiveDilation.samplingPoints(zero, 0, 3, 3, 4, 5, 2, 3), 3), 1e-15);
    }

    /** Offsets that scale the grid by s (point (i-1, j-1) moved by (s-1)(i-1, j-1)) give dilation s. */
    @Test
    void offsetsThatScaleTheGridScaleTheDilation() {
        double s = 2.5;
        double[][] d = new double[9][2];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) d[i * 3 + j] = new double[] {(s - 1) * (i - 1), (s - 1) * (j - 1)};
        }
        double[] off = field(4, 5, 1, 2, d);
        assertEquals(s, EffectiveDilation.of(EffectiveDilation.samplingPoints(off, 0, 3, 1, 4, 5, 1, 2), 3), 1e-12);
        // Another unit of the same field keeps the regular grid.
        assertEquals(1.0, EffectiveDilation.of(EffectiveDilation.samplingPoints(off, 0, 3, 1, 4, 5, 0, 0), 3), 1e-15);
    }

    /** A pure translation of all points keeps the dilation; moving one corner point changes 2 of the 12 pairs. */
    @Test
    void translationKeepsTheDilationAndOnePointCountsInItsTwoPairs() {
        double[][] d = new double[9][];
        for (int k = 0; k < 9; k++) d[k] = new double[] {0.7, -1.3};
        double[] off = field(3, 3, 1, 1, d);
        assertEquals(1.0, EffectiveDilation.of(EffectiveDilation.samplingPoints(off, 0, 3, 1, 3, 3, 1, 1), 3), 1e-12);
        double[][] e = new double[9][2];
        e[0] = new double[] {-3, -4};   // corner (0, 0) moves by 5: its neighbours (0,1) and (1,0) are now farther
        off = field(3, 3, 1, 1, e);
        double d01 = Math.hypot(-3 - 0, -4 - 1), d10 = Math.hypot(-3 - 1, -4 - 0);
        assertEquals((10 + d01 + d10) / 12,
                EffectiveDilation.of(EffectiveDilation.samplingPoints(off, 0, 3, 1, 3, 3, 1, 1), 3), 1e-12);
    }
}
