package dcn4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SgdTest {

    private static Parameter param(String name, double beta, double value, double grad) {
        Parameter p = new Parameter(name, new int[] {1}, beta);
        p.value()[0] = value;
        p.grad()[0] = grad;
        return p;
    }

    /** w -= lr * beta * v with v = mu v + g + wd w, written out by hand for two steps. */
    @Test
    void momentumUpdateFollowsItsFormulaWithThePerParameterMultiplier() {
        Parameter a = param("a", 1.0, 1.0, 0.5);
        Parameter b = param("b", 0.1, 1.0, 0.5);
        Parameter frozen = param("c", 0.0, 1.0, 0.5);
        Sgd sgd = new Sgd(List.of(a, b, frozen), 0.2, 0.9, 0.01);
        sgd.step();
        double v1 = 0.5 + 0.01 * 1.0;
        assertEquals(1.0 - 0.2 * v1, a.value()[0], 1e-15);
        assertEquals(1.0 - 0.02 * v1, b.value()[0], 1e-15);
        assertEquals(1.0, frozen.value()[0], 0.0);
        double wa = a.value()[0];
        sgd.step();
        double v2 = 0.9 * v1 + 0.5 + 0.01 * wa;
        assertEquals(wa - 0.2 * v2, a.value()[0], 1e-15);
    }

    /** A gradient longer than maxGradNorm is scaled down to it, over all parameters together. */
    @Test
    void clippingScalesTheGlobalGradientNorm() {
        Parameter a = param("a", 1.0, 0, 3);
        Parameter b = param("b", 1.0, 0, 4);
        Sgd sgd = new Sgd(List.of(a, b), 1.0, 0, 0, 1.0);
        sgd.step();
        assertEquals(5.0, sgd.lastGradientNorm(), 1e-15);
        assertEquals(-0.6, a.value()[0], 1e-15);
        assertEquals(-0.8, b.value()[0], 1e-15);
        sgd.zeroGrad();
        assertEquals(0.0, a.grad()[0]);
    }

    @Test
    void rejectsBadHyperParameters() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(), 0.1, 1.0, 0));
        assertTrue(e.getMessage().startsWith("momentum:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(), -1, 0.5, 0));
        assertTrue(e.getMessage().startsWith("learningRate:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(), 0.1, 0.5, 0, 0));
        assertTrue(e.getMessage().startsWith("maxGradNorm:"), e.getMessage());
    }
}
