package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code dcn4j conformance} on a backend that declares less than everything: ONNX Runtime's
 * {@code DeformConv} (forward only) passes its forward rules, and the table lists every backward
 * and pooling rule as "not supported", never as passed. Bench times its forward, and its backward
 * is one line of error.
 */
class ConformanceCommandTest {

    @Test
    void onnxRuntimePassesItsForwardRulesAndTheOthersAreListedNotSupported() {
        CliRun r = CliRun.of("conformance", "--backend", "onnxruntime", "--tries", "8", "--seed", "5");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        for (String rule : new String[] {"conv01_forwardMatchesReference", "conv04_zeroOffsetsEqualPlainConvolution",
            "conv05_integerOffsetsEqualShiftedConvolution", "conv07_linearInInputAndWeight",
            "conv11_caseDirectoriesReplay"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("onnxruntime") && l.contains(rule)
                    && l.contains(" pass ")), rule + "\n" + r.out());
        }
        for (String rule : new String[] {"conv02_backwardMatchesReference", "conv08_adjointOfBackwardMatchesForward",
            "pool01_forwardMatchesReference", "pool09_repeatedAndConcurrentCallsAreBitIdentical",
            "conv13_sixteenBitResultsMatchReferenceWithinRounding", "conv12_nonFiniteValuesPropagateAsInTheReference"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("onnxruntime") && l.contains(rule)
                    && l.contains("not supported")), rule + "\n" + r.out());
        }
        assertTrue(r.out().contains("onnxruntime  PASS: 24 properties, 0 failed, 0 skipped, 16 not supported"),
                r.out());
        assertTrue(r.out().contains("conformance: PASS"), r.out());
    }

    @Test
    void onnxRuntimeIsBenchedForwardAndItsBackwardIsOneLineOfError() {
        CliRun fwd = CliRun.of("bench", "--backend", "onnxruntime", "--shape", "1,4,6,6,4,3,3", "--padding", "1,1",
                "--mask", "--warmup", "0", "--warmup-seconds", "0", "--iterations", "2", "--json");
        assertEquals(0, fwd.exitCode(), fwd.err());
        assertTrue(fwd.outLines().getLast().contains("\"backend\":\"onnxruntime\""), fwd.out());
        CliRun bwd = CliRun.of("bench", "--backend", "onnxruntime", "--shape", "1,4,6,6,4,3,3", "--backward",
                "--warmup", "0", "--warmup-seconds", "0", "--iterations", "1");
        assertEquals(2, bwd.exitCode(), bwd.out() + bwd.err());
        assertEquals(1, bwd.errLines().size(), bwd.err());
        assertTrue(bwd.err().contains("does not compute deform_conv2d backward"), bwd.err());
    }
}
