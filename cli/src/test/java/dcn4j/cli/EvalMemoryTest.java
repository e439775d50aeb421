package dcn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DType;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Tensor;
import dcn4j.io.CaseDirectory;
import dcn4j.io.Npy;
import dcn4j.io.NpyArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A float32 {@code .npy} input reaches a float32 backend without a {@code double[]} copy (issue 11
 * item 9): a case whose input file is {@value #MIB} MiB is evaluated on the vector backend in a child
 * JVM whose heap ({@value #HEAP}) holds the float32 tensor and the backend's workspace but not a
 * {@code double[]} of the file besides. The control shows the limit bites: the same call made from
 * doubles, as before, runs out of memory in the same JVM.
 */
class EvalMemoryTest {

    private static final int MIB = 48;
    private static final String HEAP = "-Xmx160m";

    @TempDir
    static Path tmp;

    private static Path caseDir;

    @BeforeAll
    static void writeLargeCase() throws IOException {
        // Position-sensitive RoI pooling of a [1, 3072, 64, 64] float32 input (48 MiB) with one RoI: the
        // vector backend holds the input tensor and one re-laid-out copy of the image (its workspace),
        // 2x the file; the double[] path held 4x (doubles 2x, the tensor, the copy).
        int channels = MIB * 64, side = 64;
        float[] input = new float[channels * side * side];
        for (int i = 0; i < input.length; i++) input[i] = (i % 1024) / 1024f;
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", NpyArray.ofFloats(new int[] {1, channels, side, side}, input));
        in.put("rois", NpyArray.ofFloats(new int[] {1, 5}, new float[] {0, 0, 0, side - 1, side - 1}));
        caseDir = tmp.resolve("large");
        CaseDirectory.write(caseDir, CaseDirectory.DEFORM_PSROI_POOL,
                CaseDirectory.params(new DeformPsRoiPoolSpec(1.0, channels, 1, 2, 2, 2, 0.0)), in, null, null);
        assertEquals((long) MIB << 20, Files.size(caseDir.resolve("input.npy")) - 128, "the data, a 128-byte header");
    }

    @Test
    void float32InputFileIsEvaluatedWithoutADoubleCopy() throws Exception {
        Path out = tmp.resolve("out");
        Child r = run(Main.class, "eval", caseDir.toString(), "--backend", "vector", "--out", out.toString());
        assertEquals(0, r.exitCode, r.output);
        assertEquals(MIB * 64 * 4, Npy.read(out.resolve("output.npy")).size());
    }

    @Test
    void controlTheDoubleCopyPathRunsOutOfMemoryUnderTheSameHeap() throws Exception {
        Child r = run(DoubleCopyProbe.class, caseDir.toString());
        assertNotEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("OutOfMemoryError"), r.output);
    }

    /** The same call made the way eval did before: every array widened to a {@code double[]} first. */
    static final class DoubleCopyProbe {
        public static void main(String[] args) throws IOException {
            CaseDirectory c = CaseDirectory.load(Path.of(args[0]));
            NpyArray input = c.inputs().get("input"), rois = c.inputs().get("rois");
            double[] widened = input.data();
            try (Backend b = Backends.open("vector");
                 Tensor x = b.tensor(DType.F32, input.shape(), widened);
                 Tensor r = b.tensor(DType.F32, rois.shape(), rois.data());
                 Tensor out = b.deformPsRoiPool(c.deformPsRoiPoolSpec(), x, r, null)) {
                System.out.println("computed " + out.elementCount() + " values from " + widened.length + " doubles");
            }
        }
    }

    private record Child(int exitCode, String output) {
    }

    private static Child run(Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(HEAP);
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile())
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("child JVM " + main.getSimpleName() + " timed out");
        }
        return new Child(p.exitValue(), Files.readString(tmp.resolve("child.log"), StandardCharsets.UTF_8));
    }
}
