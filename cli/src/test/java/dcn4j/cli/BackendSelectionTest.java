package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backends;
import dcn4j.spi.BackendProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code -Ddcn4j.backend} and {@code DCN4J_BACKEND} select the backend of {@code conformance}, {@code eval}
 * and {@code bench} as {@code --backend} does; an unknown name is refused with the known ones, never
 * ignored.
 */
class BackendSelectionTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(Backends.BACKEND_PROPERTY);
    }

    private static String refusal(String command) {
        return "dcn4j " + command + ": backend: expected one of "
                + Backends.providers().stream().map(BackendProvider::name).toList() + ", got 'nonsense'";
    }

    @Test
    void conformanceRefusesAnUnknownBackendInTheEnvironment() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dcn4j.cli.Main", "conformance", "--tries", "1");
        pb.environment().put(Backends.BACKEND_ENV, "nonsense");
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
        assertEquals(List.of(refusal("conformance")), lines);
    }

    @Test
    void conformanceEvalAndBenchRefuseAnUnknownBackendInTheProperty() {
        System.setProperty(Backends.BACKEND_PROPERTY, "nonsense");
        for (String[] args : new String[][] {{"conformance", "--tries", "1"},
            {"eval", "../cases/torchvision/v1-3x3-pad1-bias", "--out", "target/never-written"},
            {"bench", "--shape", "1,1,3,3,1,1,1", "--iterations", "1"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(2, r.exitCode(), r.out() + r.err());
            assertEquals(List.of(refusal(args[0])), r.errLines());
        }
    }

    @Test
    void conformanceRunsOnlyTheBackendTheEnvironmentNames() {
        System.setProperty(Backends.BACKEND_PROPERTY, "reference");
        CliRun r = CliRun.of("conformance", "--tries", "1");
        assertTrue(r.out().startsWith("dcn4j conformance: backends [reference (available)]"), r.out());
    }
}
