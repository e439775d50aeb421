package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The error figures {@code dcn4j eval} prints: {@code ‖got − want‖ / ‖want‖} and {@code max |got − want|}. */
class EvalErrorsTest {

    @Test
    void identicalArraysHaveZeroError() {
        assertEquals(new EvalCommand.Errors(0, 0), EvalCommand.Errors.of(new double[] {1, -2}, new double[] {1, -2}));
    }

    @Test
    void relativeErrorIsTheRatioOfEuclideanNorms() {
        // got - want = (3, 4): norm 5; want = (6, 8): norm 10.
        EvalCommand.Errors e = EvalCommand.Errors.of(new double[] {9, 12}, new double[] {6, 8});
        assertEquals(0.5, e.relative(), 1e-16);
        assertEquals(4, e.maxAbs(), 0);
    }

    @Test
    void zeroExpectedGivesZeroOrInfinity() {
        assertEquals(0, EvalCommand.Errors.of(new double[] {0, 0}, new double[] {0, 0}).relative());
        assertEquals(0, EvalCommand.Errors.of(new double[0], new double[0]).relative(), "empty arrays agree");
        assertEquals(Double.POSITIVE_INFINITY, EvalCommand.Errors.of(new double[] {1, 0}, new double[] {0, 0}).relative());
    }

    @Test
    void aNanOnOneSideOnlyIsNeverAgreement() {
        assertTrue(Double.isNaN(EvalCommand.Errors.of(new double[] {Double.NaN, 1}, new double[] {1, 1}).relative()));
        assertTrue(Double.isNaN(EvalCommand.Errors.of(new double[] {1, 1}, new double[] {Double.NaN, 1}).maxAbs()));
        assertEquals(0, EvalCommand.Errors.of(new double[] {Double.NaN, 1}, new double[] {Double.NaN, 1}).relative());
    }

    @Test
    void hugeValuesDoNotOverflowTheNorms() {
        double w = 1e200, g = Math.nextUp(1e200);
        EvalCommand.Errors e = EvalCommand.Errors.of(new double[] {w, g}, new double[] {w, w});
        // Unscaled, (g - w)^2 and w^2 overflow to infinity and the ratio is NaN.
        double want = (g - w) / (w * Math.sqrt(2));
        assertEquals(want, e.relative(), want * 1e-12);
        assertEquals(g - w, e.maxAbs(), 0);
    }
}
