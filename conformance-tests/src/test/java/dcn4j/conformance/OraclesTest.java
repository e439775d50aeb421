package dcn4j.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.conformance.internal.DenseConv2d;
import dcn4j.conformance.internal.FiniteDifferences;
import dcn4j.conformance.internal.RoiPoolGeometry;
import org.junit.jupiter.api.Test;

/** The suite's own oracles and measures, checked on values worked out by hand. */
class OraclesTest {

    @Test
    void denseConvolutionMatchesHandComputedValues() {
        double[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9};           // 1x1x3x3
        double[] w = {1, 0, 0, -1};                          // 1x1x2x2: x[y][x] - x[y+1][x+1]
        assertArrayEquals(new double[] {-4, -4, -4, -4},
                DenseConv2d.forward(in, new int[] {1, 1, 3, 3}, w, new int[] {1, 1, 2, 2}, null, 1, 1, 1, 0, 0, 1, 1, 2, 2));
        // Padding 1 (origin -1), stride 2: out[0][0] = 0 - x[0][0], out[0][1] = 0 - x[0][2],
        // out[1][0] = 0 - x[2][0], out[1][1] = x[1][1] - x[2][2]; plus a bias of 10.
        assertArrayEquals(new double[] {9, 7, 3, 6},
                DenseConv2d.forward(in, new int[] {1, 1, 3, 3}, w, new int[] {1, 1, 2, 2}, new double[] {10}, 1, 2, 2,
                        -1, -1, 1, 1, 2, 2));
        // Dilation 2 with a 2x2 kernel of ones on the 3x3 image: the four corners, 1 + 3 + 7 + 9.
        assertArrayEquals(new double[] {20},
                DenseConv2d.forward(in, new int[] {1, 1, 3, 3}, new double[] {1, 1, 1, 1}, new int[] {1, 1, 2, 2}, null,
                        1, 1, 1, 0, 0, 2, 2, 1, 1));
        // Two groups: channel 0 times 1 into output 0, channel 1 times 2 into output 1 (1x1 kernels).
        assertArrayEquals(new double[] {1, 2, 6, 8},
                DenseConv2d.forward(new double[] {1, 2, 3, 4}, new int[] {1, 2, 1, 2}, new double[] {1, 2},
                        new int[] {2, 1, 1, 1}, null, 2, 1, 1, 0, 0, 1, 1, 1, 2));
    }

    @Test
    void relativeErrorIsNormRelativeAndStrictAboutNaN() {
        assertEquals(0, Tolerances.relativeError(new double[] {1, 2}, new double[] {1, 2}));
        assertEquals(0.1, Tolerances.relativeError(new double[] {3, 4.5}, new double[] {3, 4}), 1e-15);  // 0.5 / 5
        assertEquals(Double.POSITIVE_INFINITY, Tolerances.relativeError(new double[] {Double.NaN}, new double[] {1}));
        assertEquals(0, Tolerances.relativeError(new double[] {Double.NaN, 1}, new double[] {Double.NaN, 1}));
        assertEquals(Double.POSITIVE_INFINITY, Tolerances.relativeError(new double[] {1}, new double[] {1, 2}));
        assertEquals(1e-3, Tolerances.relativeError(new double[] {1e-3}, new double[] {0}), 0);
    }

    @Test
    void theCancellationFloorOnlyActsWhenTheTermsCancel() {
        // A sum of terms of magnitude 100 that cancels to 1e-3: an F32 error of 1e-6 is rounding, not a bug.
        double[] expected = {1e-3}, actual = {1e-3 + 1e-6}, magnitude = {100};
        assertTrue(Tolerances.relativeError(actual, expected) > Tolerances.FORWARD);
        assertTrue(Tolerances.relativeError(actual, expected, magnitude) < Tolerances.FORWARD);
        // Without cancellation the floor is inactive: the plain norm-relative error.
        double[] e2 = {50}, a2 = {50.001}, m2 = {100};
        assertEquals(Tolerances.relativeError(a2, e2), Tolerances.relativeError(a2, e2, m2), 1e-18);
        // A non-finite magnitude lowers nothing (it would make the floor infinite and every error 0).
        double[] e3 = {1e-3, 50}, a3 = {2e-3, 50}, m3 = {Double.POSITIVE_INFINITY, 100};
        assertEquals(Tolerances.relativeError(a3, e3), Tolerances.relativeError(a3, e3, m3), 1e-18);
    }

    @Test
    void finiteDifferenceErrorsForgiveOnlyTheNumericSidesRounding() {
        double noise = FiniteDifferences.slopeNoise(1e-5), tol = Tolerances.BACKWARD;
        // A derivative that is 0: the analytic side float64 rounding, the numeric side the loss's over the step
        // (the values of the position-sensitive RoI case of the fourteenth pass). The plain measure calls it 100%.
        double[] numeric = {0, -6.9e-13}, analytic = {0, -1.2e-18};
        assertEquals(1, Tolerances.relativeError(analytic, numeric), 1e-5);
        assertTrue(new FiniteDifferences.Comparison(numeric, analytic, 0, noise).error(tol) <= tol);
        // Ten times the noise is a wrong derivative, and fails.
        double[] wrong = {10 * noise, 0};
        assertTrue(new FiniteDifferences.Comparison(new double[] {0, 0}, wrong, 0, noise).error(tol) > tol);
        // Derivatives of order 0.1 are measured norm-relatively, as before: 0.01 / 0.447.
        double[] n2 = {0.2, 0.4}, a2 = {0.2, 0.41};
        assertEquals(Tolerances.relativeError(a2, n2), new FiniteDifferences.Comparison(n2, a2, 0, noise).error(tol),
                1e-15);
        // A non-finite side is never close.
        assertEquals(Double.POSITIVE_INFINITY,
                new FiniteDifferences.Comparison(new double[] {1}, new double[] {Double.NaN}, 0, noise).error(tol));
    }

    @Test
    void roiCornersRoundHalfAwayFromZeroAsC() {
        assertEquals(3, RoiPoolGeometry.roundHalfAway(2.5));
        assertEquals(-3, RoiPoolGeometry.roundHalfAway(-2.5));
        assertEquals(-1, RoiPoolGeometry.roundHalfAway(-0.5));
        assertEquals(1, RoiPoolGeometry.roundHalfAway(0.5));
        assertEquals(2, RoiPoolGeometry.roundHalfAway(2.4999));
    }

    @Test
    void samplesOnADiscontinuityAreUnsafeUnlessFloatComputesThemExactly() {
        // Scale 1, RoI x from 0: the first sample sits exactly on the skip edge -0.5, computed exactly in float.
        DeformPsRoiPoolSpec exact = new DeformPsRoiPoolSpec(1, 1, 1, 2, 2, 2, 0.1);
        float[] roi = {0, 0, 0, 3, 3};
        assertFalse(any(RoiPoolGeometry.unsafeCells(exact, 1, 4, 4, roi, 1, null)));
        // Scale 0.3: the same corners give positions float cannot represent; one lands on x = 1.0 - 0.5 ± ulp.
        DeformPsRoiPoolSpec inexact = new DeformPsRoiPoolSpec(0.3, 1, 1, 1, 1, 1, 0.1);
        float[] near = {0, 5, 5, 9, 9};                     // start = 5*0.3 - 0.5 = 1.0: an integer, offset present
        assertTrue(any(RoiPoolGeometry.unsafeCells(inexact, 1, 4, 4, near, 1, new float[] {0, 0})));
        // A random offset moves it well away from the integer.
        assertFalse(any(RoiPoolGeometry.unsafeCells(inexact, 1, 4, 4, near, 1, new float[] {0.37f, 0.61f})));
    }

    private static boolean any(boolean[] b) {
        for (boolean x : b) if (x) return true;
        return false;
    }
}
