package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} (a child JVM): the vector provider
 * is unavailable with the flag to add as its reason, and {@code Backends.open()} says once, as a
 * System.Logger WARNING, that it skipped it and which backend it opened instead (DESIGN.md "Build").
 */
class VectorProviderWithoutModuleTest {

    private static final String REASON =
            "the JVM was started without the Vector API; add --add-modules jdk.incubator.vector";

    @Test
    void openWithoutTheVectorModuleWarnsOnceNamingTheSkippedBackendAndTheFlag() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), OpenDefaultBackendMain.class.getName()).start();
        // Drain stderr on its own thread so that neither pipe can block the child.
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String stderr = err.get();
        assertEquals(0, p.exitValue(), out + stderr);
        assertEquals(List.of("vector: " + REASON, "opened reference", "opened reference"), out.lines().toList());
        List<String> warnings = stderr.lines().filter(l -> l.contains("backend 'vector' skipped")).toList();
        assertEquals(List.of("WARNING: dcn4j: backend 'vector' skipped, unavailable: " + REASON
                + "; using 'reference' instead"), warnings, stderr);
    }
}
