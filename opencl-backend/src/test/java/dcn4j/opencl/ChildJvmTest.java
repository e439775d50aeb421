package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The child-JVM runner of the leak and crash tests: its time limit applies, its output comes back. */
class ChildJvmTest {

    @Test
    void aChildThatOutlivesItsLimitIsKilledAtTheLimit() {
        // The child would sleep 120 s; the limit is 2 s. Reading the child's output before waiting
        // (the earlier runner) blocked for the child's whole life and never applied the limit.
        long t0 = System.nanoTime();
        ChildJvm.TimedOut e = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThrows(
                ChildJvm.TimedOut.class, () -> ChildJvm.run(Duration.ofSeconds(2), List.of(), Map.of(),
                        SleepProbe.class, "120")));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(e.getMessage().contains("timed out after PT2S"), e.getMessage());
        assertTrue(e.getMessage().contains("sleeping"), "the output written before the limit: " + e.getMessage());
        assertTrue(seconds < 30, "returned after " + seconds + " s");
    }

    @Test
    void aChildThatEndsInTimeReturnsItsExitCodeAndOutput() throws Exception {
        ChildJvm.Result r = ChildJvm.run(Duration.ofSeconds(60), List.of(), Map.of(), SleepProbe.class, "0");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("sleeping", r.output().strip());
    }
}
