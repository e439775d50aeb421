package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Cl#buildProgram} under garbage collection (docs/DESIGN.md "OpenCL runtime", signal chaining). CI once
 * failed {@link OpenClTensorReachabilityTest} with PoCL's "unable to rename temporary ... No such file or
 * directory": LLVM deletes its temporary files on SIGSEGV, which the JVM raises at safepoints. Stochastic: each
 * rule builds programs in a child JVM while collections are requested without pause. If the first rule fails,
 * check that the child really has {@code libjsig} (its line says {@code preloaded=}); if the second, check the
 * message of {@link Cl#temporaryRemovedAdvice}.
 */
class ClProgramBuildTest {

    /** Builds per child: without libjsig, 30 of 30 failed every time they were tried on PoCL. */
    private static final int BUILDS = 30;
    private static final Pattern LINE =
            Pattern.compile("builds=(\\d+) failed=(\\d+) advised=(\\d+) preloaded=(true|false)");

    @BeforeAll
    static void requireOpenCl() {
        OpenClTestSupport.requireOpenCl();
    }

    @Test
    void aRemovedTemporaryIsRecognisedFromTheBuildLog() {
        // The log CI printed (PoCL 3.1 on Debian 12), and an ordinary compile error.
        assertTrue(Cl.temporaryRemoved("error: <invalid loc>: unable to rename temporary "
                + "'/root/.cache/pocl/kcache/tempfile_pVxEeZ.preproc-83036c7a.cl.tmp' to output file "
                + "'/root/.cache/pocl/kcache/tempfile_pVxEeZ.preproc.cl': 'No such file or directory'\n"
                + "Device pthread-skylake-avx512 failed to build the program"));
        assertFalse(Cl.temporaryRemoved("<source>:1:44: error: use of undeclared identifier 'undeclared_name_42'"));
    }

    @Test
    void testJvmsRunWithSignalChainingAsTheLauncherDoes() throws Exception {
        // The parent pom's profile "signal-chaining" preloads libjsig into every test JVM where the JDK has it.
        Path libjsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        Path maps = Path.of("/proc/self/maps");
        Assumptions.assumeTrue(Files.isRegularFile(libjsig) && Files.isReadable(maps),
                "no libjsig in this JDK, or no /proc/self/maps");
        assertTrue(Files.readString(maps).contains(libjsig.getFileName().toString()),
                "libjsig is not loaded in this test JVM (LD_PRELOAD=" + System.getenv("LD_PRELOAD") + ")");
    }

    @Test
    void buildsUnderConstantCollectionSucceedWithSignalChaining() throws Exception {
        Path libjsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        assertTrue(Files.isRegularFile(libjsig), "this JDK has no " + libjsig);
        Matcher m = probe(libjsig.toString());
        assertEquals("true", m.group(4), "libjsig was not loaded in the child");
        assertEquals(0, Integer.parseInt(m.group(2)), "failed builds with libjsig preloaded");
    }

    @Test
    void buildsUnderConstantCollectionWithoutSignalChainingFailOnlyWithTheRemedy() throws Exception {
        Matcher m = probe("");
        assertEquals("false", m.group(4), "libjsig was loaded in the child");
        // Where the OpenCL compiler is not LLVM's, nothing may fail; where it is, every failure names the remedy.
        assertEquals(m.group(2), m.group(3), "failures whose message names LD_PRELOAD and libjsig.so");
    }

    private static Matcher probe(String preload) throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("-XX:+UseParallelGC"), Map.of("LD_PRELOAD", preload),
                BuildUnderCollectionProbe.class, String.valueOf(BUILDS));
        assertEquals(0, r.exitCode(), r.output());
        Matcher m = LINE.matcher(r.output());
        assertTrue(m.find(), "no result line in the child's output:\n" + r.output());
        assertEquals(BUILDS, Integer.parseInt(m.group(1)));
        System.out.println("LD_PRELOAD=" + (preload.isEmpty() ? "(none)" : preload) + ": " + m.group());
        return m;
    }
}
