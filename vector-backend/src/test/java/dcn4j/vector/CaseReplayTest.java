package dcn4j.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import dcn4j.conformance.Tolerances;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays the committed golden cases ({@code cases/torchvision}, {@code cases/torchvision-asym}: torchvision in
 * float64; {@code cases/psroi-port}, {@code cases/dcnv1-port}: NumPy ports of the official MXNet kernels) through the vector backend: inputs rounded
 * to float32, outputs within 1e-5 and gradients within 1e-4 of the expected arrays, norm-relative.
 * A tiny reader for the two formats is inlined (test-only; the CLI's reader is another module's).
 */
class CaseReplayTest {

    static Backend vector;
    static double worstForward, worstBackward;

    @BeforeAll
    static void open() {
        vector = new VectorBackend(2);
    }

    @AfterAll
    static void close() {
        vector.close();
        System.out.printf("vector case replay: worst forward %.3g, worst backward %.3g%n", worstForward, worstBackward);
    }

    static Path casesRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("cases"))) p = p.getParent();
        assertNotNull(p, "no cases/ folder above " + Path.of("").toAbsolutePath());
        return p.resolve("cases");
    }

    static Stream<Path> caseDirs() throws IOException {
        List<Path> dirs = new ArrayList<>();
        // The float32/float64 folders this test's reader handles; the 16-bit ones (cases/torchvision-f16,
        // -bf16) replay through the conformance suite (rule 8) and EvalCommandTest.
        for (String folder : List.of("torchvision", "torchvision-asym", "torchvision-nonfinite", "dcnv1-port",
                "psroi-port")) {
            try (Stream<Path> s = Files.walk(casesRoot().resolve(folder))) {
                s.filter(d -> Files.isRegularFile(d.resolve("case.json"))).sorted().forEach(dirs::add);
            }
        }
        assertTrue(dirs.size() >= 20, "expected the committed golden cases, found " + dirs.size());
        return dirs.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseDirs")
    void goldenCaseReplays(Path dir) throws IOException {
        String json = Files.readString(dir.resolve("case.json"));
        String op = string(json, "op");
        Map<String, Npy> in = new TreeMap<>();
        Matcher m = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([\\w.]+\\.npy)\"").matcher(section(json, "inputs"));
        while (m.find()) in.put(m.group(1), Npy.read(dir.resolve(m.group(2))));
        Npy gradOut = json.contains("\"grad_output\"") ? Npy.read(dir.resolve(string(json, "grad_output"))) : null;
        Path expected = dir.resolve("expected");
        if (op.equals("deform_conv2d")) {
            // The spec (paddings per side, border rule) as dcn4j.io reads it.
            DeformConv2dSpec spec = dcn4j.io.CaseDirectory.load(dir).deformConv2dSpec();
            Tensor x = t(in.get("input")), off = t(in.get("offset")), mk = t(in.get("mask"));
            Tensor w = t(in.get("weight")), b = t(in.get("bias"));
            check(vector.deformConv2d(spec, x, off, mk, w, b), expected.resolve("output.npy"), true);
            if (gradOut != null) {
                try (DeformConv2dGradients g = vector.deformConv2dBackward(spec, t(gradOut), x, off, mk, w, b,
                        Gradient.all())) {
                    for (Gradient which : Gradient.values()) {
                        Path f = expected.resolve(which.fileStem() + ".npy");
                        if (Files.exists(f)) check(g.get(which), f, false);
                    }
                }
            }
        } else {
            assertEquals("deform_psroi_pool", op);
            DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(number(json, "spatial_scale"), integer(json, "output_dim"),
                    integer(json, "group_size"), integer(json, "pooled_size"), integer(json, "part_size"),
                    integer(json, "sample_per_part"), number(json, "trans_std"));
            Tensor x = t(in.get("input")), rois = t(in.get("rois")), off = t(in.get("offset"));
            check(vector.deformPsRoiPool(spec, x, rois, off), expected.resolve("output.npy"), true);
            if (gradOut != null) {
                try (DeformPsRoiPoolGradients g = vector.deformPsRoiPoolBackward(spec, t(gradOut), x, rois, off,
                        EnumSet.of(Gradient.INPUT, Gradient.OFFSET))) {
                    for (Gradient which : List.of(Gradient.INPUT, Gradient.OFFSET)) {
                        Path f = expected.resolve(which.fileStem() + ".npy");
                        if (Files.exists(f)) check(g.get(which), f, false);
                    }
                }
            }
        }
    }

    private static void check(Tensor got, Path expectedFile, boolean forward) throws IOException {
        assertNotNull(got, "missing result for " + expectedFile);
        Npy e = Npy.read(expectedFile);
        assertEquals(java.util.Arrays.toString(e.shape), java.util.Arrays.toString(got.shape()), expectedFile.toString());
        double err = Tolerances.relativeError(got.toDoubleArray(), e.data);
        if (forward) worstForward = Math.max(worstForward, err);
        else worstBackward = Math.max(worstBackward, err);
        assertTrue(err <= (forward ? 1e-5 : 1e-4), expectedFile + ": relative error " + err);
    }

    private static Tensor t(Npy a) {
        if (a == null) return null;
        float[] f = new float[a.data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) a.data[i];
        return vector.tensor(a.shape, f);
    }

    private static String section(String json, String key) {
        int at = json.indexOf("\"" + key + "\"");
        return at < 0 ? "" : json.substring(at, json.indexOf('}', at));
    }

    private static String string(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), key);
        return m.group(1);
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-+0-9.eE]+)").matcher(json);
        assertTrue(m.find(), key);
        return Double.parseDouble(m.group(1));
    }

    private static int integer(String json, String key) {
        return (int) number(json, key);
    }

    /** A little-endian float32/float64 C-order .npy array. */
    record Npy(int[] shape, double[] data) {
        static Npy read(Path file) throws IOException {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int major = bytes[6];
            int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
            int start = (major == 1 ? 10 : 12);
            String header = new String(bytes, start, headerLen, StandardCharsets.ISO_8859_1);
            assertTrue(header.contains("'fortran_order': False"), file + ": " + header);
            Matcher sm = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
            assertTrue(sm.find(), file + ": " + header);
            String[] dims = sm.group(1).split(",");
            List<Integer> shape = new ArrayList<>();
            for (String d : dims) if (!d.isBlank()) shape.add(Integer.parseInt(d.trim()));
            int count = 1;
            for (int d : shape) count *= d;
            double[] data = new double[count];
            b.position(start + headerLen);
            if (header.contains("'<f8'")) {
                for (int i = 0; i < count; i++) data[i] = b.getDouble();
            } else {
                assertTrue(header.contains("'<f4'"), file + ": " + header);
                for (int i = 0; i < count; i++) data[i] = b.getFloat();
            }
            return new Npy(shape.stream().mapToInt(Integer::intValue).toArray(), data);
        }
    }
}
