package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vector backend at every width and without FMA (DESIGN.md "Vector width and GEMM tiles"): a child
 * JVM per setting runs {@link VectorWidthCheck} (every tile against double precision, convolution cases
 * against the reference, thread-count determinism). Widths are forced with
 * {@code -Ddcn4j.vector.bits} (as Lucene's {@code tests.vectorsize}) or by HotSpot flags; the FMA
 * fallback (multiply + add) by {@code -Ddcn4j.vector.fma=false} and by {@code -XX:UseAVX=0}, a JVM whose
 * {@code FloatVector.fma} would otherwise be computed in {@code BigDecimal}.
 */
class VectorWidthTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-Ddcn4j.vector.bits=128", "-Ddcn4j.vector.bits=256", "-Ddcn4j.vector.bits=512",
            "-XX:UseAVX=2", "-XX:MaxVectorSize=16", "-Ddcn4j.vector.fma=false", "-XX:UseAVX=0"})
    void everyTileAndEveryCaseHoldAtThisWidth(String option) throws Exception {
        if (option.startsWith("-Ddcn4j.vector.bits=")) {
            int bits = Integer.parseInt(option.substring(option.indexOf('=') + 1));
            assumeTrue(bits <= FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                    "this JVM's preferred width is " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits");
        }
        if (option.startsWith("-XX:UseAVX")) {
            assumeTrue(System.getProperty("os.arch").equals("amd64"), "x86 flag");
        }
        Result r = runChild(option);
        assertEquals(0, r.exit, option + ":\n" + r.output);
        assertTrue(r.output.contains("PASS"), r.output);
        if (option.equals("-XX:UseAVX=0") || option.equals("-Ddcn4j.vector.fma=false")) {
            assertTrue(r.output.contains("no hardware FMA"), "FMA fallback not chosen:\n" + r.output);
        }
        if (option.equals("-Ddcn4j.vector.bits=128") || option.equals("-XX:MaxVectorSize=16")) {
            assertTrue(r.output.contains("128-bit"), r.output);
        }
        if (option.equals("-Ddcn4j.vector.bits=256") || option.equals("-XX:UseAVX=2")) {
            assertTrue(r.output.contains("256-bit"), r.output);
        }
        if (option.equals("-XX:UseAVX=2")) {
            assertTrue(r.output.contains("16 vector registers") && r.output.contains("GEMM tile 4x16"), r.output);
        }
    }

    record Result(int exit, String output) {
    }

    static Result runChild(String... options) throws IOException, InterruptedException {
        return runChild(VectorWidthCheck.class, options);
    }

    /** {@code main} of {@code mainClass} in a fresh JVM with the test class path and {@code options}. */
    static Result runChild(Class<?> mainClass, String... options) throws IOException, InterruptedException {
        return runChild(mainClass, List.of(options), List.of());
    }

    /** {@code main(args)} of {@code mainClass} in a fresh JVM with the test class path and JVM {@code options}. */
    static Result runChild(Class<?> mainClass, List<String> options, List<String> args)
            throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.addAll(options);
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        Path log = Files.createTempFile("dcn4j-width", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after 300 s:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
