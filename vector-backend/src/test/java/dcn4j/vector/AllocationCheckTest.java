package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Warmed-up calls allocate only their bookkeeping: C2 keeps every kernel's vectors in registers (DESIGN.md
 * "Vector boxing in some JVMs"). Runs {@link AllocationCheck} in a fresh JVM with one C2 compiler thread
 * ({@code -XX:CICompilerCount=2}) and, on x86, at 256 bits ({@code -XX:UseAVX=2}): the setting in which a
 * second float vector class in the sample table made C2 box {@code Sgemm.storeRows} or the GEMM tile in 4 of 7
 * JVMs (1.8 MB to 1.4 GB per 1,64,56,56,64 forward + backward, against 66-81 KB). Counts bytes, not time.
 *
 * <p>If this fails, look for a float vector species other than {@link VectorWidth#SPECIES} in the backend
 * (its calls share the Vector API's type profiles with the kernels), a Vector API operation C2 does not
 * intrinsify at this width, or a vector kept in a field or array; a JFR recording of {@code AllocationCheck}
 * ({@code jdk.ObjectAllocationSample}) names the allocating kernel.
 */
class AllocationCheckTest {

    static final int JVMS = 3;

    @Test
    void warmedUpCallsAllocateOnlyBookkeeping() throws Exception {
        List<String> options = new ArrayList<>(List.of("-XX:CICompilerCount=2", "-Xss4m"));
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if ((arch.equals("amd64") || arch.equals("x86_64")) && VectorWidth.SPECIES.vectorBitSize() >= 256) {
            options.add("-XX:UseAVX=2");
        }
        // Three JVMs: boxing depends on the order in which C2 compiles the kernels (one JVM in two showed it
        // with the second float class; three clean JVMs in a row had a chance of about 1 in 10).
        for (int jvm = 0; jvm < JVMS; jvm++) {
            VectorWidthTest.Result r = VectorWidthTest.runChild(AllocationCheck.class, options.toArray(String[]::new));
            assertEquals(0, r.exit(), "AllocationCheck " + options + ", JVM " + (jvm + 1) + ":\n" + r.output());
        }
    }
}
