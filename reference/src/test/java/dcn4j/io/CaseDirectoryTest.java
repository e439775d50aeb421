package dcn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dcn4j.Backend;
import dcn4j.Backends;
import dcn4j.DType;
import dcn4j.DeformConv2dGradients;
import dcn4j.DeformConv2dSpec;
import dcn4j.DeformPsRoiPoolGradients;
import dcn4j.DeformPsRoiPoolSpec;
import dcn4j.Gradient;
import dcn4j.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link CaseDirectory}: CASE_FORMAT.md read, validated, run and written. */
class CaseDirectoryTest {

    /** The torchvision golden cases (tools/make_golden_cases.py), relative to this module. */
    private static final Path GOLDEN = Path.of("..", "cases", "torchvision");
    /** The PS RoI pooling golden cases from the port of the official kernel (tools/psroi_pool_port.py). */
    private static final Path GOLDEN_PSROI = Path.of("..", "cases", "psroi-port");
    /** DCNv1-border cases from the port of the official kernels (tools/dcnv1_port.py). */
    private static final Path GOLDEN_DCNV1 = Path.of("..", "cases", "dcnv1-port");
    /** torchvision cases with ONNX's asymmetric padding (tools/make_asym_cases.py). */
    private static final Path GOLDEN_ASYM = Path.of("..", "cases", "torchvision-asym");

    @TempDir
    Path tmp;

    // ---------------------------------------------------------------------------------------------
    // Golden cases

    @Test
    void loadsGoldenCaseWithEveryPart() throws IOException {
        CaseDirectory c = CaseDirectory.load(GOLDEN.resolve("v2-groups2-offsetgroups2"));
        assertEquals(CaseDirectory.DEFORM_CONV2D, c.op());
        assertEquals(new DeformConv2dSpec(1, 1, 1, 1, 1, 1, 2, 2), c.deformConv2dSpec());
        assertEquals(List.of("input", "offset", "mask", "weight", "bias"), List.copyOf(c.inputs().keySet()));
        assertEquals(List.of("output", "grad_input", "grad_offset", "grad_mask", "grad_weight", "grad_bias"),
                List.copyOf(c.expected().keySet()));
        assertEquals(DType.F64, c.gradOutput().dtype());
        assertThrows(IllegalStateException.class, c::deformPsRoiPoolSpec);
    }

    static List<Path> goldenCases() throws IOException {
        List<Path> all = new ArrayList<>();
        for (Path folder : List.of(GOLDEN, GOLDEN_PSROI, GOLDEN_DCNV1, GOLDEN_ASYM)) {
            try (Stream<Path> s = Files.list(folder)) {
                List<Path> dirs = s.filter(Files::isDirectory).sorted().toList();
                if (dirs.size() < 5) throw new IOException("expected the golden cases in " + folder);
                all.addAll(dirs);
            }
        }
        return all;
    }

    @ParameterizedTest
    @MethodSource("goldenCases")
    void referenceReproducesGoldenCase(Path dir) throws IOException {
        CaseDirectory c = CaseDirectory.load(dir);
        try (Backend ref = Backends.open("reference")) {
            Map<String, NpyArray> got = c.run(ref);
            // run() produces exactly the arrays the generator produced: same names, same shapes.
            assertEquals(c.expected().keySet(), got.keySet(), dir.toString());
            for (Map.Entry<String, NpyArray> e : c.expected().entrySet()) {
                NpyArray g = got.get(e.getKey());
                assertEquals(DType.F64, g.dtype());
                assertArrayEquals(e.getValue().shape(), g.shape(), dir + " " + e.getKey());
                // Both float64; they differ only in summation order (the torchvision script checks
                // torchvision against an independent NumPy version to 1e-12; the pooling port
                // follows the official kernel's order).
                double err = relativeError(g.data(), e.getValue().data());
                assertTrue(err <= 1e-12, dir + " " + e.getKey() + ": relative error " + err);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Round trips through write/load

    @Test
    void convCaseRoundTripsThroughWriteAndLoad() throws IOException {
        Map<String, NpyArray> in = convInputs(new Random(1), true, true);
        NpyArray gradOut = random(new Random(2), 1, 3, 4, 4);
        Map<String, NpyArray> expected = Map.of("output", random(new Random(3), 1, 3, 4, 4),
                "grad_mask", random(new Random(4), 1, 9, 4, 4));
        DeformConv2dSpec spec = DeformConv2dSpec.defaults().withPadding(1, 1).withStride(1, 1);
        Path dir = tmp.resolve("conv");
        CaseDirectory.write(dir, CaseDirectory.DEFORM_CONV2D, CaseDirectory.params(spec), in, gradOut, expected);
        CaseDirectory c = CaseDirectory.load(dir);
        assertEquals(spec, c.deformConv2dSpec());
        assertEquals(in, c.inputs());
        assertEquals(gradOut, c.gradOutput());
        assertEquals(expected, c.expected());
        assertEquals(List.of("output", "grad_mask"), List.copyOf(c.expected().keySet()), "canonical order");
    }

    @Test
    void psroiCaseRoundTripsWithFloat32Arrays() throws IOException {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.0625, 2, 3, 3, 3, 2, 0.1);
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", NpyArray.ofFloats(new int[] {1, 18, 5, 5}, new float[450]));
        in.put("rois", NpyArray.ofFloats(new int[] {2, 5}, new float[] {0, 1, 2, 30, 40, 0, 0.5f, 0, 16, 16}));
        in.put("offset", NpyArray.ofFloats(new int[] {2, 2, 3, 3}, new float[36]));
        Path dir = tmp.resolve("psroi");
        CaseDirectory.write(dir, CaseDirectory.DEFORM_PSROI_POOL, CaseDirectory.params(spec), in, null, null);
        CaseDirectory c = CaseDirectory.load(dir);
        assertEquals(spec, c.deformPsRoiPoolSpec());
        assertEquals(in, c.inputs());
        assertEquals(DType.F32, c.inputs().get("rois").dtype());
        assertNull(c.gradOutput());
        assertTrue(c.expected().isEmpty());
        assertThrows(IllegalStateException.class, c::deformConv2dSpec);
        assertFalse(Files.exists(dir.resolve("expected")));
    }

    @Test
    void writeAcceptsScalarStrideAndWritesCanonicalPairs() throws IOException {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("stride", 2);
        params.put("padding", new int[] {1, 0});
        params.put("dilation", List.of(1, 1));
        params.put("groups", 1);
        params.put("offset_groups", 1);
        Path dir = tmp.resolve("scalar");
        CaseDirectory.write(dir, "deform_conv2d", params, convInputs(new Random(5), false, false), null, null);
        String json = Files.readString(dir.resolve("case.json"));
        assertTrue(json.contains("\"stride\": [2, 2]"), json);
        assertEquals(new DeformConv2dSpec(2, 2, 1, 0, 1, 1, 1, 1), CaseDirectory.load(dir).deformConv2dSpec());
    }

    @Test
    void borderAndPerSidePaddingRoundTripAndDefaultsStayImplicit() throws IOException {
        DeformConv2dSpec onnx = DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1)
                .withBorder(DeformConv2dSpec.Border.DCNV1);
        Map<String, Object> params = CaseDirectory.params(onnx);
        assertEquals(List.of(1, 0, 0, 1), params.get("padding"));
        assertEquals("dcnv1", params.get("border"));
        Path dir = tmp.resolve("onnx");
        CaseDirectory.write(dir, "deform_conv2d", params, convInputs(new Random(7), false, false), null, null);
        assertEquals(onnx, CaseDirectory.load(dir).deformConv2dSpec());
        // torchvision's symmetric form: [ph, pw] and no "border" key, as the committed cases.
        Map<String, Object> plain = CaseDirectory.params(DeformConv2dSpec.defaults().withPadding(1, 1));
        assertEquals(List.of(1, 1), plain.get("padding"));
        assertFalse(plain.containsKey("border"));
        assertEquals(DeformConv2dSpec.Border.DCNV1,
                CaseDirectory.load(GOLDEN_DCNV1.resolve("dcnv1-onnx-pads-1-0-0-1")).deformConv2dSpec().border());
        assertEquals(DeformConv2dSpec.defaults().withPadding(1, 0, 0, 1),
                CaseDirectory.load(GOLDEN_ASYM.resolve("onnx-pads-1-0-0-1")).deformConv2dSpec());
    }

    @Test
    void writeValidatesBeforeWritingAnything() {
        Map<String, Object> params = new LinkedHashMap<>(CaseDirectory.params(DeformConv2dSpec.defaults()));
        params.put("strides", List.of(1, 1));
        Path dir = tmp.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.write(dir,
                "deform_conv2d", params, convInputs(new Random(6), false, false), null, null));
        assertTrue(e.getMessage().contains("unknown key \"params.strides\""), e.getMessage());
        assertFalse(Files.exists(dir));
        assertNoHiddenLeftovers();
    }

    @Test
    void writeRejectsExpectedGradientWithoutGradOutput() {
        Path dir = tmp.resolve("never");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.write(dir,
                "deform_conv2d", CaseDirectory.params(DeformConv2dSpec.defaults()),
                convInputs(new Random(6), false, false), null, Map.of("grad_input", random(new Random(1), 1))));
        assertTrue(e.getMessage().contains("no grad_output"), e.getMessage());
        assertFalse(Files.exists(dir));
    }

    @Test
    void writeRefusesADirectoryHoldingFiles() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("full"));
        Files.writeString(dir.resolve("keep.txt"), "mine");
        IOException e = assertThrows(IOException.class, () -> CaseDirectory.write(dir, "deform_conv2d",
                CaseDirectory.params(DeformConv2dSpec.defaults()), convInputs(new Random(7), false, false), null,
                null));
        assertTrue(e.getMessage().contains("expected a new or empty directory"), e.getMessage());
        assertEquals("mine", Files.readString(dir.resolve("keep.txt")));
        assertNoHiddenLeftovers();
    }

    @Test
    void writeFillsAnEmptyDirectory() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("empty"));
        CaseDirectory.write(dir, "deform_conv2d", CaseDirectory.params(DeformConv2dSpec.defaults()),
                convInputs(new Random(8), false, false), null, null);
        assertEquals(3, CaseDirectory.load(dir).inputs().size());
    }

    // ---------------------------------------------------------------------------------------------
    // run()

    @Test
    void runReturnsOutputAndEveryGradientInCanonicalOrder() throws IOException {
        Path dir = writeConvCase("run", true, true, true);
        try (Backend ref = Backends.open("reference")) {
            Map<String, NpyArray> r = CaseDirectory.load(dir).run(ref);
            assertEquals(List.of("output", "grad_input", "grad_offset", "grad_mask", "grad_weight", "grad_bias"),
                    List.copyOf(r.keySet()));
            assertArrayEquals(new int[] {1, 3, 4, 4}, r.get("output").shape());
            assertArrayEquals(new int[] {1, 18, 4, 4}, r.get("grad_offset").shape());
            assertArrayEquals(new int[] {3}, r.get("grad_bias").shape());
        }
    }

    @Test
    void runWithoutGradOutputIsForwardOnly() throws IOException {
        Path dir = writeConvCase("fwd", false, false, false);
        try (Backend ref = Backends.open("reference")) {
            assertEquals(Set.of("output"), CaseDirectory.load(dir).run(ref).keySet());
        }
    }

    @Test
    void runMatchesDirectBackendCalls() throws IOException {
        Path dir = writeConvCase("direct", true, false, true);
        CaseDirectory c = CaseDirectory.load(dir);
        try (Backend ref = Backends.open("reference")) {
            Map<String, NpyArray> r = c.run(ref);
            Map<String, Tensor> t = new LinkedHashMap<>();
            c.inputs().forEach((k, v) -> t.put(k, ref.tensor(v.shape(), v.data())));
            Tensor out = ref.deformConv2d(c.deformConv2dSpec(), t.get("input"), t.get("offset"), null,
                    t.get("weight"), t.get("bias"));
            assertArrayEquals(out.toDoubleArray(), r.get("output").data());
            DeformConv2dGradients g = ref.deformConv2dBackward(c.deformConv2dSpec(),
                    ref.tensor(c.gradOutput().shape(), c.gradOutput().data()), t.get("input"), t.get("offset"), null,
                    t.get("weight"), t.get("bias"), Gradient.all());
            assertArrayEquals(g.offset().toDoubleArray(), r.get("grad_offset").data());
            assertArrayEquals(g.weight().toDoubleArray(), r.get("grad_weight").data());
            assertArrayEquals(g.bias().toDoubleArray(), r.get("grad_bias").data());
        }
    }

    @Test
    void runOnFloat32BackendReturnsFloat32ArraysOfFloat32Inputs() throws IOException {
        Path dir = writeConvCase("f32", true, true, true);
        CaseDirectory c = CaseDirectory.load(dir);
        try (Backend ref = Backends.open("reference"); Backend f32 = new Float32View(ref)) {
            Map<String, NpyArray> r32 = c.run(f32);
            // Same computation in float64 on the inputs rounded to float32, rounded once at the end:
            // that is what the reference does for F32 tensors (ReferenceBackend's contract).
            Map<String, NpyArray> rounded = new LinkedHashMap<>();
            c.inputs().forEach((k, v) -> rounded.put(k, roundToFloat(v)));
            Path dir64 = tmp.resolve("f32-as-f64");
            CaseDirectory.write(dir64, c.op(), CaseDirectory.params(c.deformConv2dSpec()), rounded,
                    roundToFloat(c.gradOutput()), null);
            Map<String, NpyArray> r64 = CaseDirectory.load(dir64).run(ref);
            assertEquals(r64.keySet(), r32.keySet());
            for (String k : r32.keySet()) {
                assertEquals(DType.F32, r32.get(k).dtype(), k);
                double[] want = r64.get(k).data();
                for (int i = 0; i < want.length; i++) {
                    assertEquals((double) (float) want[i], r32.get(k).data()[i], 0.0, k + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void runReportsShapeErrorsOfTheBackendPrefixedWithTheCase() throws IOException {
        Path dir = tmp.resolve("badshape");
        Map<String, NpyArray> in = convInputs(new Random(9), false, false);
        in.put("offset", random(new Random(10), 1, 17, 4, 4));
        CaseDirectory.write(dir, "deform_conv2d", CaseDirectory.params(DeformConv2dSpec.defaults().withPadding(1, 1)),
                in, null, null);
        CaseDirectory c = CaseDirectory.load(dir);
        try (Backend ref = Backends.open("reference")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.run(ref));
            assertEquals(dir + ": offset: expected shape [1, 18, 4, 4] [N, 2*offsetGroups*kh*kw, Ho, Wo], got "
                    + "[1, 17, 4, 4]", e.getMessage());
        }
    }

    @Test
    void runReportsBadGroups() throws IOException {
        Path dir = tmp.resolve("groups");
        CaseDirectory.write(dir, "deform_conv2d",
                CaseDirectory.params(DeformConv2dSpec.defaults().withPadding(1, 1).withGroups(2)),
                convInputs(new Random(11), false, false), null, null);
        CaseDirectory c = CaseDirectory.load(dir);
        try (Backend ref = Backends.open("reference")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.run(ref));
            assertTrue(e.getMessage().startsWith(dir + ": groups: expected a divisor of output channels O=3, got 2"),
                    e.getMessage());
        }
    }

    @Test
    void psroiRunValidatesShapesThroughTheSpi() throws IOException {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1);
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", random(new Random(1), 1, 7, 6, 6));  // needs outputDim*groupSize^2 = 8 channels
        in.put("rois", NpyArray.ofDoubles(new int[] {1, 5}, new double[] {0, 0, 0, 8, 8}));
        Path dir = tmp.resolve("psroi-bad");
        CaseDirectory.write(dir, "deform_psroi_pool", CaseDirectory.params(spec), in, null, null);
        CaseDirectory c = CaseDirectory.load(dir);
        try (Backend ref = Backends.open("reference")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.run(ref));
            assertEquals(dir + ": input: expected C = outputDim*groupSize^2 = 2*2^2 = 8 channels, got 7",
                    e.getMessage());
        }
        in.put("input", random(new Random(1), 1, 8, 6, 6));
        in.put("rois", NpyArray.ofDoubles(new int[] {1, 5}, new double[] {1, 0, 0, 8, 8}));
        Path dir2 = tmp.resolve("psroi-batch");
        CaseDirectory.write(dir2, "deform_psroi_pool", CaseDirectory.params(spec), in, null, null);
        CaseDirectory c2 = CaseDirectory.load(dir2);
        try (Backend ref = Backends.open("reference")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c2.run(ref));
            assertEquals(dir2 + ": rois[0,0]: expected a batch index in [0, 1), got 1.0", e.getMessage());
        }
    }

    @Test
    void psroiRunAsksForInputAndOffsetGradientsOnly() throws IOException {
        DeformPsRoiPoolSpec spec = new DeformPsRoiPoolSpec(0.5, 2, 2, 2, 2, 2, 0.1);
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", random(new Random(1), 1, 8, 6, 6));
        in.put("rois", NpyArray.ofDoubles(new int[] {1, 5}, new double[] {0, 0, 0, 8, 8}));
        in.put("offset", random(new Random(2), 1, 2, 2, 2));
        Path dir = tmp.resolve("psroi-grads");
        CaseDirectory.write(dir, "deform_psroi_pool", CaseDirectory.params(spec), in, random(new Random(3), 1, 2, 2, 2),
                null);
        CaseDirectory c = CaseDirectory.load(dir);
        RecordingBackend rec = new RecordingBackend();
        Map<String, NpyArray> r = c.run(rec);
        assertEquals(Set.of(Gradient.INPUT, Gradient.OFFSET), rec.wanted);
        assertEquals(List.of("output", "grad_input", "grad_offset"), List.copyOf(r.keySet()));
        assertArrayEquals(new int[] {1, 8, 6, 6}, r.get("grad_input").shape());
        assertArrayEquals(new int[] {1, 2, 2, 2}, r.get("grad_offset").shape());
        assertEquals(rec.made, rec.closed, "run closes every tensor it made");
    }

    // ---------------------------------------------------------------------------------------------
    // Malformed cases: each error names the file and the key

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "unknown op|{\"op\": \"deform_conv3d\", \"params\": {}, \"inputs\": {}}"
            + "|case.json: op: expected \"deform_conv2d\" or \"deform_psroi_pool\", got \"deform_conv3d\"",
        "unknown param|{\"op\": \"deform_conv2d\", \"params\": {PARAMS, \"bogus\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: unknown key \"params.bogus\"",
        "missing param|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1, \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": 1}, \"inputs\": {INPUTS}}|case.json: missing required key \"params.offset_groups\"",
        "string param|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1, \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": \"1\", \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params.groups: expected an integer, got \"1\"",
        "fractional param|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1.5, \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": 1, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params.stride: expected an integer, got 1.5",
        "short pair|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": [1], \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": 1, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params.stride: expected an integer or an [h, w] pair of integers, got [1]",
        "zero stride|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": [1, 0], \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": 1, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params: strideW: expected >= 1, got 0",
        "zero groups|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1, \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": 0, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params: groups: expected >= 1, got 0",
        "huge int|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1, \"padding\": 1, \"dilation\": 1, "
            + "\"groups\": 99999999999, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params.groups: expected an integer in 32-bit range, got 99999999999",
        "unknown border|{\"op\": \"deform_conv2d\", \"params\": {PARAMS, \"border\": \"official\"}, \"inputs\": {INPUTS}}"
            + "|case.json: params.border: expected \"torchvision\" or \"dcnv1\", got \"official\"",
        "border not a string|{\"op\": \"deform_conv2d\", \"params\": {PARAMS, \"border\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params.border: expected \"torchvision\" or \"dcnv1\", got 1",
        "three paddings|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1, \"padding\": [1, 0, 0], "
            + "\"dilation\": 1, \"groups\": 1, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params.padding: expected an integer, an [h, w] pair or [top, left, bottom, right] of "
            + "integers, got [1, 0, 0]",
        "negative bottom padding|{\"op\": \"deform_conv2d\", \"params\": {\"stride\": 1, \"padding\": [1, 0, -1, 0], "
            + "\"dilation\": 1, \"groups\": 1, \"offset_groups\": 1}, \"inputs\": {INPUTS}}"
            + "|case.json: params: padBottom: expected >= 0, got -1",
        "unknown input|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {INPUTS, \"rois\": \"input.npy\"}}"
            + "|case.json: unknown key \"inputs.rois\"",
        "missing input|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {\"input\": \"input.npy\", "
            + "\"weight\": \"weight.npy\"}}|case.json: missing required key \"inputs.offset\"",
        "missing file|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {INPUTS, \"mask\": \"mask.npy\"}}"
            + "|case.json: inputs.mask: expected an existing .npy file, got no such file: ",
        "escaping path|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {\"input\": \"../x/input.npy\", "
            + "\"offset\": \"offset.npy\", \"weight\": \"weight.npy\"}}"
            + "|case.json: inputs.input: expected a file inside the case directory, got \"../x/input.npy\"",
        "absolute path|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {\"input\": \"/etc/passwd\", "
            + "\"offset\": \"offset.npy\", \"weight\": \"weight.npy\"}}"
            + "|case.json: inputs.input: expected a file inside the case directory, got \"/etc/passwd\"",
        "number as file|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {\"input\": 3, "
            + "\"offset\": \"offset.npy\", \"weight\": \"weight.npy\"}}"
            + "|case.json: inputs.input: expected a file name (string), got 3",
        "unknown top key|{\"op\": \"deform_conv2d\", \"params\": {PARAMS}, \"inputs\": {INPUTS}, \"grad_ouptut\": "
            + "\"g.npy\"}|case.json: unknown key \"grad_ouptut\"",
        "params not object|{\"op\": \"deform_conv2d\", \"params\": [1, 2], \"inputs\": {INPUTS}}"
            + "|case.json: params: expected an object, got [1, 2]",
        "top is array|[1, 2]|case.json: expected a JSON object at the top, got [1, 2]",
        "bad json|{\"op\": \"deform_conv2d\",, }|case.json: line 1, column 24: expected a string key",
        "psroi bad scale|{\"op\": \"deform_psroi_pool\", \"params\": {\"spatial_scale\": 0, \"output_dim\": 2, "
            + "\"group_size\": 1, \"pooled_size\": 2, \"part_size\": 2, \"sample_per_part\": 1, \"trans_std\": 0.1}, "
            + "\"inputs\": {\"input\": \"input.npy\", \"rois\": \"input.npy\"}}"
            + "|case.json: params: spatialScale: expected finite > 0, got 0.0",
        "psroi float dim|{\"op\": \"deform_psroi_pool\", \"params\": {\"spatial_scale\": 1, \"output_dim\": 2.0, "
            + "\"group_size\": 1, \"pooled_size\": 2, \"part_size\": 2, \"sample_per_part\": 1, \"trans_std\": 0.1}, "
            + "\"inputs\": {\"input\": \"input.npy\", \"rois\": \"input.npy\"}}"
            + "|case.json: params.output_dim: expected an integer, got 2.0"})
    void malformedCaseJsonIsRejectedNamingFileAndKey(String kind, String json, String fragment) throws IOException {
        Path dir = writeConvCase("base", false, false, false);
        String valid = "\"stride\": [1, 1], \"padding\": [1, 1], \"dilation\": [1, 1], \"groups\": 1, "
                + "\"offset_groups\": 1";
        String inputs = "\"input\": \"input.npy\", \"offset\": \"offset.npy\", \"weight\": \"weight.npy\"";
        Files.writeString(dir.resolve("case.json"), json.replace("PARAMS", valid).replace("INPUTS", inputs));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir),
                kind);
        // The fragment is the message's beginning with the file name shortened to "case.json".
        String want = dir.resolve("case.json") + fragment.substring("case.json".length());
        assertTrue(e.getMessage().startsWith(want), kind + ": " + e.getMessage());
    }

    @Test
    void arrayErrorsNameTheNpyFile() throws IOException {
        Path dir = writeConvCase("ints", false, false, false);
        byte[] i4 = NpyTest.npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new byte[8]);
        Files.write(dir.resolve("offset.npy"), i4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve("offset.npy") + ": dtype: expected '<f4'"), e.getMessage());
    }

    @Test
    void missingDirectoryOrCaseJsonIsNamed() throws IOException {
        Path none = tmp.resolve("none");
        assertEquals(none + ": expected a case directory, got nothing (no such directory)",
                assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(none)).getMessage());
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertEquals(empty.resolve("case.json") + ": expected the case description, got no such file",
                assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(empty)).getMessage());
    }

    @Test
    void invalidUtf8IsRejected() throws IOException {
        Path dir = writeConvCase("utf", false, false, false);
        Files.write(dir.resolve("case.json"), new byte[] {'{', (byte) 0xff, '}'});
        assertEquals(dir.resolve("case.json") + ": expected UTF-8 JSON text, got invalid UTF-8 bytes",
                assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir)).getMessage());
    }

    @Test
    void unexpectedFilesInExpectedAreRejected() throws IOException {
        Path dir = writeConvCase("exp", true, false, false);
        Path exp = Files.createDirectory(dir.resolve("expected"));
        Files.writeString(exp.resolve("README.txt"), "not an array: ignored");
        Npy.write(exp.resolve("output.npy"), random(new Random(1), 1, 3, 4, 4));
        assertEquals(Set.of("output"), CaseDirectory.load(dir).expected().keySet());

        Npy.write(exp.resolve("grad_weights.npy"), random(new Random(1), 1));
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir));
        assertTrue(typo.getMessage().startsWith(exp.resolve("grad_weights.npy") + ": expected one of [output, "
                + "grad_input, grad_offset, grad_weight], got \"grad_weights\""), typo.getMessage());
        Files.delete(exp.resolve("grad_weights.npy"));

        Npy.write(exp.resolve("grad_mask.npy"), random(new Random(1), 1));
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir));
        assertTrue(absent.getMessage().endsWith("the case has no input \"mask\""), absent.getMessage());
        Files.delete(exp.resolve("grad_mask.npy"));

        Npy.write(exp.resolve("grad_rois.npy"), random(new Random(1), 1));
        assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir));
    }

    @Test
    void expectedGradientsNeedGradOutput() throws IOException {
        Path dir = writeConvCase("nograd", false, false, false);
        Path exp = Files.createDirectory(dir.resolve("expected"));
        Npy.write(exp.resolve("grad_input.npy"), random(new Random(1), 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaseDirectory.load(dir));
        assertTrue(e.getMessage().endsWith("the case has no grad_output, so no backward runs"), e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // writeOutputs()

    @Test
    void writeOutputsCreatesTheFolderAndOneFilePerResult() throws IOException {
        Path out = tmp.resolve("a").resolve("b");
        Map<String, NpyArray> r = new LinkedHashMap<>();
        r.put("output", random(new Random(1), 2, 2));
        r.put("grad_input", NpyArray.ofFloats(new int[] {3}, new float[] {1, 2, 3}));
        CaseDirectory.writeOutputs(out, r);
        assertEquals(r.get("output"), Npy.read(out.resolve("output.npy")));
        assertEquals(r.get("grad_input"), Npy.read(out.resolve("grad_input.npy")));
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(2, s.count());
        }
    }

    @Test
    void writeOutputsWritesNothingWhenOneFileFails() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.createDirectory(out.resolve("grad_input.npy"));  // cannot become a file
        Map<String, NpyArray> r = new LinkedHashMap<>();
        r.put("output", random(new Random(1), 2, 2));
        r.put("grad_input", random(new Random(2), 2));
        IOException e = assertThrows(IOException.class, () -> CaseDirectory.writeOutputs(out, r));
        assertTrue(e.getMessage().contains("grad_input.npy"), e.getMessage());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(List.of(out.resolve("grad_input.npy")), s.toList(), "no output.npy, no temporary file");
        }
    }

    @Test
    void writeOutputsRejectsNamesThatAreNotPlainStems() {
        for (String bad : List.of("", "../x", "a/b", ".hidden")) {
            assertThrows(IllegalArgumentException.class,
                    () -> CaseDirectory.writeOutputs(tmp, Map.of(bad, random(new Random(1), 1))), bad);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** Input 1x2x4x4, weight 3x2x3x3: with padding 1 the output is 1x3x4x4 (offset 1x18x4x4, mask 1x9x4x4). */
    private static Map<String, NpyArray> convInputs(Random r, boolean mask, boolean bias) {
        Map<String, NpyArray> in = new LinkedHashMap<>();
        in.put("input", random(r, 1, 2, 4, 4));
        in.put("offset", random(r, 1, 18, 4, 4));
        if (mask) in.put("mask", random(r, 1, 9, 4, 4));
        in.put("weight", random(r, 3, 2, 3, 3));
        if (bias) in.put("bias", random(r, 3));
        return in;
    }

    private Path writeConvCase(String name, boolean backward, boolean mask, boolean bias) throws IOException {
        Path dir = tmp.resolve(name);
        CaseDirectory.write(dir, "deform_conv2d", CaseDirectory.params(DeformConv2dSpec.defaults().withPadding(1, 1)),
                convInputs(new Random(name.hashCode()), mask, bias),
                backward ? random(new Random(99), 1, 3, 4, 4) : null, null);
        return dir;
    }

    static NpyArray random(Random r, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return NpyArray.ofDoubles(shape, v);
    }

    private static NpyArray roundToFloat(NpyArray a) {
        double[] d = a.data().clone();
        for (int i = 0; i < d.length; i++) d[i] = (float) d[i];
        return new NpyArray(a.shape(), DType.F64, d);
    }

    static double relativeError(double[] got, double[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    private void assertNoHiddenLeftovers() {
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> hidden = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertEquals(List.of(), hidden);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The reference computing on F32 tensors: what a float32 backend hands back, rounded once. */
    private static final class Float32View implements Backend {
        private final Backend ref;

        Float32View(Backend ref) {
            this.ref = ref;
        }

        @Override public String name() { return ref.name(); }
        @Override public String description() { return "reference on F32 tensors"; }
        @Override public DType nativeDType() { return DType.F32; }
        @Override public boolean supports(DType d) { return ref.supports(d); }
        @Override public Tensor tensor(DType d, int[] s, double[] v) { return ref.tensor(d, s, v); }
        @Override public Tensor tensor(DType d, int[] s, float[] v) { return ref.tensor(d, s, v); }

        @Override
        public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                                   Tensor bias) {
            return ref.deformConv2d(spec, input, offset, mask, weight, bias);
        }

        @Override
        public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                          Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                          Set<Gradient> wanted) {
            return ref.deformConv2dBackward(spec, gradOutput, input, offset, mask, weight, bias, wanted);
        }

        @Override
        public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
            return ref.deformPsRoiPool(spec, input, rois, offset);
        }

        @Override
        public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                                Tensor input, Tensor rois, Tensor offset,
                                                                Set<Gradient> wanted) {
            return ref.deformPsRoiPoolBackward(spec, gradOutput, input, rois, offset, wanted);
        }

        @Override public void close() { }
    }

    /**
     * A fake backend for the pooling path (independent of the pooling kernel): outputs of the right
     * shapes filled with zeros; records the gradients asked for and counts tensors made and closed.
     */
    private static final class RecordingBackend implements Backend {
        Set<Gradient> wanted;
        int made;
        int closed;

        final class T implements Tensor {
            final int[] shape;
            final double[] data;

            T(int[] shape, double[] data) {
                this.shape = shape.clone();
                this.data = data.clone();
                made++;
            }

            @Override public int[] shape() { return shape.clone(); }
            @Override public DType dtype() { return DType.F64; }
            @Override public String backendName() { return "recording"; }
            @Override public double[] toDoubleArray() { return data.clone(); }

            @Override
            public float[] toFloatArray() {
                float[] f = new float[data.length];
                for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
                return f;
            }

            @Override public void close() { closed++; }
        }

        private T zeros(int... shape) {
            int n = 1;
            for (int d : shape) n *= d;
            return new T(shape, new double[n]);
        }

        @Override public String name() { return "recording"; }
        @Override public String description() { return "test double"; }
        @Override public DType nativeDType() { return DType.F64; }
        @Override public boolean supports(DType d) { return d == DType.F64; }
        @Override public Tensor tensor(DType d, int[] s, double[] v) { return new T(s, v); }

        @Override
        public Tensor tensor(DType d, int[] s, float[] v) {
            double[] x = new double[v.length];
            for (int i = 0; i < x.length; i++) x[i] = v[i];
            return new T(s, x);
        }

        @Override
        public Tensor deformConv2d(DeformConv2dSpec spec, Tensor input, Tensor offset, Tensor mask, Tensor weight,
                                   Tensor bias) {
            throw new AssertionError("not a convolution case");
        }

        @Override
        public DeformConv2dGradients deformConv2dBackward(DeformConv2dSpec spec, Tensor gradOutput, Tensor input,
                                                          Tensor offset, Tensor mask, Tensor weight, Tensor bias,
                                                          Set<Gradient> w) {
            throw new AssertionError("not a convolution case");
        }

        @Override
        public Tensor deformPsRoiPool(DeformPsRoiPoolSpec spec, Tensor input, Tensor rois, Tensor offset) {
            return zeros(rois.shape()[0], spec.outputDim(), spec.pooledSize(), spec.pooledSize());
        }

        @Override
        public DeformPsRoiPoolGradients deformPsRoiPoolBackward(DeformPsRoiPoolSpec spec, Tensor gradOutput,
                                                                Tensor input, Tensor rois, Tensor offset,
                                                                Set<Gradient> w) {
            wanted = Set.copyOf(w);
            List<Tensor> g = new ArrayList<>();
            g.add(w.contains(Gradient.INPUT) ? zeros(input.shape()) : null);
            g.add(w.contains(Gradient.OFFSET) && offset != null ? zeros(offset.shape()) : null);
            return new DeformPsRoiPoolGradients(g.get(0), g.get(1));
        }

        @Override public void close() { }
    }

    // ---------------------------------------------------------------------------------------------
    // 16-bit cases (CASE_FORMAT.md "16-bit cases")

    @Test
    void bfloat16CaseRoundTripsThroughWriteAndLoadAndRunsInBf16() throws IOException {
        java.util.Map<String, NpyArray> in = new java.util.LinkedHashMap<>();
        in.put("input", NpyArray.ofBits(new int[] {1, 1, 3, 3}, DType.BF16,
                new short[] {0x3F80, 0x4000, 0x4040, 0x4080, 0x40A0, 0x40C0, 0x40E0, 0x4100, 0x4110}));
        in.put("offset", NpyArray.ofBits(new int[] {1, 2, 3, 3}, DType.BF16, new short[18]));
        in.put("weight", NpyArray.ofBits(new int[] {1, 1, 1, 1}, DType.BF16, new short[] {0x3EAB})); // ~1/3
        java.util.Map<String, Object> params = new java.util.LinkedHashMap<>(CaseDirectory.params(
                dcn4j.DeformConv2dSpec.defaults()));
        params.put("dtype", "bf16");
        Path dir = tmp.resolve("bf16");
        CaseDirectory.write(dir, CaseDirectory.DEFORM_CONV2D, params, in, null, null);
        assertTrue(Files.readString(dir.resolve("case.json")).contains("\"dtype\": \"bf16\""));
        CaseDirectory c = CaseDirectory.load(dir);
        assertEquals(DType.BF16, c.dtype());
        try (dcn4j.Backend ref = dcn4j.Backends.open("reference")) {
            NpyArray out = c.run(ref).get("output");
            assertEquals(DType.BF16, out.dtype());
            double w = dcn4j.spi.HalfPrecision.bf16ToFloat((short) 0x3EAB);
            for (int i = 0; i < 9; i++) {
                assertEquals(dcn4j.spi.HalfPrecision.round(DType.BF16, (i + 1) * w), out.data()[i], 0.0);
            }
        }
    }

    @Test
    void float16CaseIsRecognisedFromItsArraysAndRejectedWhereUnsupported() throws IOException {
        java.util.Map<String, NpyArray> in = new java.util.LinkedHashMap<>();
        in.put("input", new NpyArray(new int[] {1, 1, 2, 2}, DType.F16, new double[] {1, 2, 3, 0.5}));
        in.put("offset", new NpyArray(new int[] {1, 2, 2, 2}, DType.F16, new double[8]));
        in.put("weight", new NpyArray(new int[] {1, 1, 1, 1}, DType.F16, new double[] {0.25}));
        Path dir = tmp.resolve("f16");
        CaseDirectory.write(dir, CaseDirectory.DEFORM_CONV2D, CaseDirectory.params(dcn4j.DeformConv2dSpec.defaults()),
                in, null, null);
        CaseDirectory c = CaseDirectory.load(dir);
        assertEquals(DType.F16, c.dtype());
        dcn4j.Backend f32Only = new dcn4j.Backend() {
            public String name() { return "f32-only"; }
            public String description() { return "test"; }
            public DType nativeDType() { return DType.F32; }
            public boolean supports(DType d) { return d == DType.F32; }
            public dcn4j.Tensor tensor(DType d, int[] s, double[] v) { throw new AssertionError(); }
            public dcn4j.Tensor tensor(DType d, int[] s, float[] v) { throw new AssertionError(); }
            public dcn4j.Tensor deformConv2d(dcn4j.DeformConv2dSpec s, dcn4j.Tensor a, dcn4j.Tensor b, dcn4j.Tensor m,
                                             dcn4j.Tensor w, dcn4j.Tensor bias) { throw new AssertionError(); }
            public dcn4j.DeformConv2dGradients deformConv2dBackward(dcn4j.DeformConv2dSpec s, dcn4j.Tensor g,
                    dcn4j.Tensor a, dcn4j.Tensor b, dcn4j.Tensor m, dcn4j.Tensor w, dcn4j.Tensor bias,
                    java.util.Set<dcn4j.Gradient> wanted) { throw new AssertionError(); }
            public dcn4j.Tensor deformPsRoiPool(dcn4j.DeformPsRoiPoolSpec s, dcn4j.Tensor a, dcn4j.Tensor r,
                                                dcn4j.Tensor o) { throw new AssertionError(); }
            public dcn4j.DeformPsRoiPoolGradients deformPsRoiPoolBackward(dcn4j.DeformPsRoiPoolSpec s, dcn4j.Tensor g,
                    dcn4j.Tensor a, dcn4j.Tensor r, dcn4j.Tensor o, java.util.Set<dcn4j.Gradient> wanted) {
                throw new AssertionError();
            }
            public void close() { }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.run(f32Only));
        assertEquals(dir + ": expected a backend that supports F16 (a F16 case), got 'f32-only', which does not",
                e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new NpyArray(new int[] {1}, DType.F16, new double[] {0.1}));
        assertTrue(bad.getMessage().startsWith("data[0]: expected a value exactly representable as float16"),
                bad.getMessage());
    }
}
