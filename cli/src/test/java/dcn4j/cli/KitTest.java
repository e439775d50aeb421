package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dcn4j kit}: which jars go in, the launcher, and the refusals. Building a whole kit (jlink, a
 * minute) and running its {@code bin/dcn4j backends} with no JDK on the PATH is a step of {@code .ci/run}.
 */
class KitTest {

    @TempDir
    Path tmp;

    @Test
    void everyJarGoesInExceptOnnxRuntimeAndItsBackend() {
        assertTrue(Kit.belongsInKit("dcn4j-vector-0.1.0-SNAPSHOT.jar"));
        assertTrue(Kit.belongsInKit("jocl-2.0.5.jar"));
        assertFalse(Kit.belongsInKit("onnxruntime-1.29.0.jar"));
        assertFalse(Kit.belongsInKit("dcn4j-onnxruntime-0.1.0-SNAPSHOT.jar"));
        assertFalse(Kit.belongsInKit("notes.txt"));
    }

    @Test
    void jarsOfKeepsClassPathOrderAndDropsOnnxRuntime() throws IOException {
        Path a = Files.createFile(tmp.resolve("dcn4j-cli.jar"));
        Path ort = Files.createFile(tmp.resolve("onnxruntime-1.29.0.jar"));
        Path b = Files.createFile(tmp.resolve("picocli.jar"));
        String cp = String.join(File.pathSeparator, a.toString(), ort.toString(), b.toString());
        assertEquals(List.of(a, b), Kit.jarsOf(cp));
    }

    @Test
    void aFolderOnTheClassPathIsRefusedNamingIt() throws IOException {
        Path classes = Files.createDirectory(tmp.resolve("classes"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Kit.jarsOf(classes + File.pathSeparator + Files.createFile(tmp.resolve("x.jar"))));
        assertTrue(e.getMessage().contains(classes.toString()) && e.getMessage().contains("not a jar"), e.getMessage());
    }

    @Test
    void aNonEmptyOutFolderIsRefusedAndLeftAlone() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("kit"));
        Path mine = Files.writeString(out.resolve("mine.txt"), "keep");
        Path jar = Files.createFile(tmp.resolve("a.jar"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Kit.build(out, List.of(jar), jar, tmp, null, new PrintWriter(new StringWriter())));
        assertTrue(e.getMessage().startsWith("--out: expected a new or empty folder"), e.getMessage());
        assertEquals("keep", Files.readString(mine));
        try (var entries = Files.list(tmp)) {
            assertEquals(2, entries.count(), "nothing but the kit folder and the jar: no partial folder left");
        }
    }

    @Test
    void fromTheTestClassPathTheCommandFailsInOneLineAndWritesNothing() {
        Path out = tmp.resolve("kit");
        CliRun r = CliRun.of("kit", "--out", out.toString());
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("dcn4j kit: the class path entry "), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void theLauncherRunsTheKitsOwnRuntimeOnly() {
        String launcher = Kit.launcher();
        assertTrue(launcher.startsWith("#!/bin/bash\n"), launcher);
        assertTrue(launcher.contains("java=\"$kit/runtime/bin/java\""), launcher);
        assertTrue(launcher.contains("-cp \"$kit/lib/*\" dcn4j.cli.Main"), launcher);
        assertTrue(launcher.contains("--add-modules jdk.incubator.vector"), launcher);
        assertTrue(launcher.contains("-Ddcn4j.home=\"$kit\""), launcher);
        assertFalse(launcher.contains("JAVA_HOME"), "the launcher never looks for another Java");
        // Signal chaining with the runtime's own libjsig (docs/DESIGN.md "OpenCL runtime").
        assertTrue(launcher.contains("preload=\"$kit/runtime/lib/libjsig.so${preload:+:$preload}\""), launcher);
        assertTrue(launcher.contains("LD_PRELOAD=\"$preload\" \"$java\""), launcher);
    }
}
