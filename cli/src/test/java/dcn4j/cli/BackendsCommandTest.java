package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backends;
import dcn4j.spi.BackendProvider;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code dcn4j backends}: one line per provider, its devices indented, and the default. */
class BackendsCommandTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(Backends.BACKEND_PROPERTY);
    }

    @Test
    void listsEveryProviderWithPriorityAvailabilityAndDevices() {
        CliRun r = CliRun.of("backends");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.outLines();
        for (BackendProvider p : Backends.providers()) {
            String line = lines.stream().filter(l -> l.startsWith(p.name() + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError(p.name() + " not listed: " + r.out()));
            assertTrue(line.contains("priority " + p.priority()), line);
            BackendProvider.Availability a = p.availability();
            assertTrue(line.contains(a.available() ? "available" : "unavailable: " + a.reason()), line);
            int at = lines.indexOf(line);
            List<String> devices = p.devices();
            for (int i = 0; i < devices.size(); i++) {
                assertEquals("    " + devices.get(i), lines.get(at + 1 + i), "device lines follow the provider");
            }
        }
        String ref = lines.stream().filter(l -> l.startsWith("reference ")).findFirst().orElseThrow();
        assertTrue(ref.contains("available"), ref);
        // A provider declaring less than everything says what it computes.
        assertTrue(lines.contains("    declares deform_conv2d forward; F32; border torchvision; without non-finite propagation"), r.out());
        assertTrue(lines.stream().filter(l -> l.startsWith("    declares")).count() == 1, r.out());
        assertTrue(lines.contains("    0: host CPU, scalar float64 (the numerical oracle)"), r.out());
    }

    @Test
    void marksTheHighestPriorityAvailableProviderAsDefault() {
        BackendProvider best = Backends.providers().stream().filter(p -> p.availability().available()).findFirst()
                .orElseThrow();
        CliRun r = CliRun.of("backends");
        List<String> marked = r.outLines().stream().filter(l -> l.endsWith("(default)")).toList();
        assertEquals(1, marked.size(), r.out());
        assertTrue(marked.get(0).startsWith(best.name() + " "), r.out());
        String skipped = Backends.providers().stream().takeWhile(p -> !p.name().equals(best.name()))
                .map(p -> p.name() + ": " + p.availability().reason()).reduce((a, b) -> a + "; " + b)
                .map(s -> "; skipped " + s).orElse("");
        assertEquals("default: " + best.name() + " (highest-priority available backend" + skipped + ")",
                r.outLines().get(r.outLines().size() - 1));
    }

    @Test
    void aSkippedFasterBackendIsShownWithItsReason() throws Exception {
        // Without --add-modules jdk.incubator.vector (a child JVM): vector is listed unavailable with the
        // flag to add, and the default line says it was skipped and why.
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dcn4j.cli.Main", "backends").start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.getErrorStream().readAllBytes();
        assertEquals(0, p.waitFor(), out);
        String reason = "the JVM was started without the Vector API; add --add-modules jdk.incubator.vector";
        assertTrue(out.lines().anyMatch(l -> l.matches("vector +priority 100 +unavailable: " + java.util.regex.Pattern.quote(reason))),
                out);
        List<String> lines = out.lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.contains("; skipped vector: " + reason), last);
        assertFalse(last.startsWith("default: vector"), last);
    }

    @Test
    void defaultFollowsTheSystemProperty() {
        System.setProperty(Backends.BACKEND_PROPERTY, "reference");
        CliRun r = CliRun.of("backends");
        assertEquals("default: reference (from -Ddcn4j.backend)", r.outLines().get(r.outLines().size() - 1));
    }

    @Test
    void unknownBackendInThePropertyIsReportedNotMarked() {
        System.setProperty(Backends.BACKEND_PROPERTY, "quantum");
        CliRun r = CliRun.of("backends");
        assertEquals(0, r.exitCode());
        assertEquals("default: quantum (from -Ddcn4j.backend): no such backend; expected one of "
                + Backends.providers().stream().map(BackendProvider::name).toList(),
                r.outLines().get(r.outLines().size() - 1));
        assertFalse(r.out().contains("(default)"), r.out());
    }
}
