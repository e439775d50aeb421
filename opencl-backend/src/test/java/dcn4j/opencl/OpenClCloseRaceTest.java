package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Closing what a running operation reads, from another thread, never crashes the JVM (DESIGN.md
 * "OpenCL runtime": an operation holds the buffers it uses until it ends; a close meanwhile is
 * deferred, or the operation fails with {@link IllegalStateException}). Run in a child JVM: the
 * fault it guards against (a device buffer released under a running kernel) aborts the JVM, which
 * must fail this test rather than kill the test runner.
 */
class OpenClCloseRaceTest {

    @Test
    void closingTensorsOrTheBackendDuringOperationsNeverCrashes() throws Exception {
        OpenClTestSupport.requireOpenCl();
        // Bounded twice: 1,000 tensor rounds and 15 backend rounds, or 90 s, whichever ends first.
        ChildJvm.Result r = ChildJvm.run(Duration.ofMinutes(4), List.of("-Xmx256m"), Map.of(),
                CloseRaceProbe.class, "1000", "15", "90");
        assertEquals(0, r.exitCode(), "the child JVM died (exit " + r.exitCode() + "):\n" + tail(r.output()));
        String line = r.output().lines().filter(l -> l.startsWith("closeRace ")).findFirst()
                .orElseThrow(() -> new AssertionError("no result line in:\n" + tail(r.output())));
        System.out.println("[opencl close race] " + line);
        assertTrue(line.matches("closeRace ok=\\d+ rejected=\\d+ tensorRounds=\\d+ backendCloses=\\d+"), line);
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }
}
